// Readability metrics with textstat 0.7.11's numbers: Flesch-Kincaid grade and ARI.
import { loadSyllableData, type SourceOptions, type SyllableData } from "./sources.ts";
import { ariFromCounts, countText, fleschKincaidFromCounts, type TextCounts } from "./text-stats.ts";

/** Words outside cmudict are hyphenated once and remembered, up to this many. */
const MAX_LEARNED_WORDS = 200_000;

export class Readability {
  private readonly syllables: Map<string, number>;
  private learned = 0;
  private readonly syllablesOf: (word: string) => number;

  constructor(readonly data: SyllableData) {
    // Own copy: words hyphenated at run time join the dictionary's counts in one lookup table.
    this.syllables = new Map(data.cmudict);
    this.syllablesOf = (word) => {
      const known = this.syllables.get(word);
      if (known !== undefined) return known;
      const count = data.positions(word).length + 1;
      if (this.learned < MAX_LEARNED_WORDS) {
        this.syllables.set(word, count);
        this.learned++;
      }
      return count;
    };
  }

  static async load(opts?: SourceOptions): Promise<Readability> {
    return new Readability(await loadSyllableData(opts));
  }

  counts(text: string): TextCounts {
    return countText(text, this.syllablesOf);
  }

  /** `textstat.syllable_count` for one word (lowercased), from the same source as the metrics. */
  wordSyllables(word: string): number {
    return this.syllablesOf(word);
  }

  fleschKincaid(text: string): number {
    return fleschKincaidFromCounts(this.counts(text));
  }

  ari(text: string): number {
    return ariFromCounts(this.counts(text));
  }

  /** Both grades from one pass over the text. */
  grades(text: string): { fleschKincaid: number; ari: number } {
    const c = this.counts(text);
    return { fleschKincaid: fleschKincaidFromCounts(c), ari: ariFromCounts(c) };
  }
}
