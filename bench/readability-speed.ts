import { tmpdir } from "node:os";
import { join } from "node:path";
import { Tiktoken } from "js-tiktoken/lite";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import { Readability } from "../eval/metrics/readability/index.ts";
import { countTokens } from "../eval/metrics/token-count.ts";
import { readabilityEnv as referenceEnv } from "../test/helpers/reference-data.ts";
import { fixtureTexts } from "./fixture.ts";
import { peerNote, pythonRate } from "./peers.ts";

const GOAL = 150_000;

export async function benchReadability(): Promise<void> {
  const corpus = fixtureTexts();
  // Distinct texts: textstat memoizes per text (lru_cache), and so would any cache on either side.
  const texts = Array.from({ length: 10_000 }, (_, i) => `${corpus[i % corpus.length]} Item ${i}.`);
  const r = await Readability.load({
    env: {
      HOME: join(tmpdir(), `evallab-bench-no-home-${process.pid}`), // never created: only the data named here
      ...referenceEnv(),
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
  const tokens = rate(countTokens, 5);
  const jsTiktoken = new Tiktoken(cl100k);
  const jsTokens = rate((t) => jsTiktoken.encode(t, [], []).length, 3);
  const nltk = { NLTK_DATA: referenceEnv().NLTK_DATA };
  const textstat = pythonRate("textstat", texts, nltk);
  const tiktoken = pythonRate("tiktoken", texts, {}, 5);
  const fmt = (n: number) => Math.round(n).toLocaleString("en");
  console.log(`(2) readability: FK + ARI ${fmt(fkAri)} texts/s (best of 7 over 10,000 texts)`);
  console.log(`    ratio to goal ${fmt(GOAL)}/s: ${(fkAri / GOAL).toFixed(2)}`);
  console.log(textstat ? `    Python textstat 0.7.11, same texts, this run: ${fmt(textstat)}/s; ratio ${(fkAri / textstat).toFixed(1)}x` : `    ${peerNote}`);
  console.log(`    token_count (gpt-tokenizer cl100k_base): ${fmt(tokens)} texts/s; js-tiktoken ${fmt(jsTokens)}/s`);
  console.log(
    tiktoken ? `    Python tiktoken, same texts, this run: ${fmt(tiktoken)}/s; ratio ${(tokens / tiktoken).toFixed(2)}x (goal ≥ 1.0)` : `    ${peerNote}`,
  );
}
