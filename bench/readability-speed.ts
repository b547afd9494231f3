// (2) FK + ARI texts per second over the fixture corpus repeated to 10,000 texts (one core), and
// token_count beside it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readability } from "../eval/metrics/readability/index.ts";
import { countTokens } from "../eval/metrics/token-count.ts";

const PYTHON_TEXTSTAT_PER_SEC = 14_700; // textstat 0.7.11, same two metrics, this machine (issue 3)
const GOAL = 150_000;

export async function benchReadability(shared: string): Promise<void> {
  const fixture = join(shared, "fixtures", "readability-textstat-0.7.11.jsonl");
  const corpus = readFileSync(fixture, "utf8").trim().split("\n").map((l) => JSON.parse(l).text as string);
  const texts = Array.from({ length: 10_000 }, (_, i) => corpus[i % corpus.length]);
  const r = await Readability.load({
    env: {
      HOME: join(shared, "no-home"), // shared/ is read-only: nothing can appear there
      NLTK_DATA: join(shared, "reference-data", "nltk_data"),
      EVALLAB_HYPHEN_DIC: join(shared, "reference-data", "pyphen", "hyph_en_US.dic"),
    },
    download: false,
  });
  const rate = (fn: (t: string) => number, rounds: number) => {
    let best = 0;
    let sink = 0;
    for (let k = 0; k < rounds; k++) {
      const t0 = performance.now();
      for (const t of texts) sink += fn(t);
      best = Math.max(best, texts.length / ((performance.now() - t0) / 1000));
    }
    if (Number.isNaN(sink)) console.log("(unreachable)");
    return best;
  };
  const fkAri = rate((t) => {
    const g = r.grades(t);
    return g.fleschKincaid + g.ari;
  }, 7);
  const tokens = rate(countTokens, 3);
  console.log(`(2) readability: FK + ARI ${Math.round(fkAri).toLocaleString("en")} texts/s (best of 7 over 10,000 texts)`);
  console.log(`    ratio to goal ${GOAL.toLocaleString("en")}/s: ${(fkAri / GOAL).toFixed(2)}; to Python textstat (${PYTHON_TEXTSTAT_PER_SEC.toLocaleString("en")}/s): ${(fkAri / PYTHON_TEXTSTAT_PER_SEC).toFixed(1)}x`);
  console.log(`    token_count (js-tiktoken cl100k_base): ${Math.round(tokens).toLocaleString("en")} texts/s`);
}
