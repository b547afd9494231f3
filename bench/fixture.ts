// What the benchmarks read from ../shared: the textstat fixture's texts and the dictionary data textstat
// uses (the product itself never reads ../shared).
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The fixture's texts, in its order. */
export function fixtureTexts(shared: string): string[] {
  return readFileSync(join(shared, "fixtures", "readability-textstat-0.7.11.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l).text as string);
}

/** textstat's own syllable data (NLTK cmudict, Pyphen en_US), offline. */
export function readabilityEnv(shared: string): Record<string, string> {
  return {
    NLTK_DATA: join(shared, "reference-data", "nltk_data"),
    EVALLAB_HYPHEN_DIC: join(shared, "reference-data", "pyphen", "hyph_en_US.dic"),
    EVALLAB_OFFLINE: "1",
  };
}
