// Readability metrics with textstat 0.7.11's numbers: Flesch-Kincaid grade and ARI.
import { loadSyllableData, type SourceOptions, type SyllableData } from "./sources.ts";
import { ariFromCounts, countText, fleschKincaidFromCounts, type TextCounts } from "./text-stats.ts";

/** Words outside cmudict are hyphenated once and remembered, up to this many. */
const MAX_LEARNED_WORDS = 200_000;

export class Readability {
  /** Words outside cmudict, hyphenated once (kept apart: the dictionary map is shared, not copied). */
  private readonly learned = new Map<string, number>();
  private readonly syllablesOf: (word: string) => number;

  constructor(readonly data: SyllableData) {
    const { cmudict, positions } = data;
    this.syllablesOf = (word) => {
      const known = cmudict.get(word) ?? this.learned.get(word);
      if (known !== undefined) return known;
      const count = positions(word).length + 1;
      if (this.learned.size < MAX_LEARNED_WORDS) this.learned.set(word, count);
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
