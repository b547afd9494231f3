// What the benchmarks read: the textstat fixture's texts (test/fixtures) and the dictionary data textstat
// uses, found where the tests find them (test/helpers/reference-data.ts).
import { readabilityEnv as referenceEnv } from "../test/helpers/reference-data.ts";

export { fixtureTexts } from "../test/helpers/reference-data.ts";

/** textstat's own syllable data (NLTK cmudict, Pyphen en_US), offline. */
export function readabilityEnv(): Record<string, string> {
  return { ...referenceEnv(), EVALLAB_OFFLINE: "1" };
}
