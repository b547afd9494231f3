// How far each syllable data source is from textstat 0.7.11 on the committed fixture (test/fixtures).
// Prints, per source combination: texts matching within 1e-9, and the worst FK difference.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readability } from "../eval/metrics/readability/index.ts";
import { nltkData, pyphenDic, readJsonl, TEXTSTAT_SCORES } from "../test/helpers/reference-data.ts";

const rows = readJsonl<{ text: string; flesch_kincaid_grade_level: number; ari_grade_level: number }>(TEXTSTAT_SCORES);

const NLTK = nltkData();
const DIC = pyphenDic();
const combos = {
  "NLTK cmudict + Pyphen hyph_en_US (textstat's own data)": { NLTK_DATA: NLTK, EVALLAB_HYPHEN_DIC: DIC },
  "NLTK cmudict + npm hyphen en-us": { NLTK_DATA: NLTK },
  "npm cmu-pronouncing-dictionary + Pyphen hyph_en_US": { EVALLAB_HYPHEN_DIC: DIC },
  "npm cmu-pronouncing-dictionary + npm hyphen en-us": {},
};

console.log(`readability data sources vs textstat 0.7.11 (${rows.length} fixture texts)`);
for (const [name, extra] of Object.entries(combos)) {
  // An empty HOME and cache: only the sources named here can be found.
  const empty = join(tmpdir(), `evallab-bench-empty-${process.pid}`);
  const env = { HOME: empty, EVALLAB_CACHE_DIR: empty, ...extra };
  const r = await Readability.load({ env, download: false });
  let fkExact = 0;
  let ariExact = 0;
  let worstFk = 0;
  for (const row of rows) {
    const g = r.grades(row.text);
    const dFk = Math.abs(g.fleschKincaid - row.flesch_kincaid_grade_level);
    if (dFk <= 1e-9) fkExact++;
    if (Math.abs(g.ari - row.ari_grade_level) <= 1e-9) ariExact++;
    worstFk = Math.max(worstFk, dFk);
  }
  console.log(`  ${name}: FK ${fkExact}/${rows.length} exact (worst |Δ| ${worstFk.toFixed(4)}), ARI ${ariExact}/${rows.length} exact`);
}
