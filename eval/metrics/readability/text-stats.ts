// textstat 0.7.11's counts in one pass over a text: the words FK and ARI divide by, the sentences,
// the non-space characters, the whitespace tokens, and each word handed to a syllable counter.
//
// Rules reproduced (textstat/backend, default settings, as MLflow calls it):
// - words: `remove_punctuation(rm_apostrophe=False)` then `str.split()`: an apostrophe survives only
//   when followed by t|s|d|ve|ll|re (case-sensitive), other chars outside `[\w\s']` are deleted, so a
//   whitespace token is a word iff one of its chars survives; syllables use its surviving chars, lowercased.
// - sentences: `re.findall(r"\b[^.!?]+[.!?]*")`, dropping those with <= 2 words, at least 1 (0 for "").
// - characters: code points that are not whitespace; ARI words: whitespace tokens (`str.split()`).
import { isPySpace, isPyWord, isTerminator } from "./unicode.ts";

export interface TextCounts {
  words: number;
  sentences: number;
  syllables: number;
  characters: number;
  /** Whitespace-separated tokens, punctuation included (ARI's word count). */
  tokens: number;
}

const APOS = 0x27;
const SPACE = 1;
const WORD = 2;
const TERM = 4;
/** Class bits of ASCII code points, the hot path; others go through the Unicode functions. */
const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  ASCII[c] = (isPySpace(c) ? SPACE : 0) | (isPyWord(c) ? WORD : 0) | (isTerminator(c) ? TERM : 0);
}

function classOf(cp: number): number {
  if (cp < 128) return ASCII[cp];
  if (isPySpace(cp)) return SPACE;
  return isPyWord(cp) ? WORD : 0;
}

/** Does the apostrophe at `i` start a contraction ending (`'t`, `'s`, `'d`, `'ve`, `'ll`, `'re`)? */
function contractionAt(text: string, i: number): boolean {
  const a = text.charCodeAt(i + 1);
  if (a === 0x74 || a === 0x73 || a === 0x64) return true; // t s d
  const b = text.charCodeAt(i + 2);
  return (a === 0x76 && b === 0x65) || (a === 0x6c && b === 0x6c) || (a === 0x72 && b === 0x65); // ve ll re
}

/** The surviving chars of a finished token, lowercased: earlier pieces plus the open run. */
function tokenWord(src: string, runStart: number, end: number, earlier: string, lowered: boolean): string {
  const w = runStart >= 0 ? earlier + src.slice(runStart, end) : earlier;
  return lowered ? w : w.toLowerCase();
}

/**
 * Count everything FK and ARI need. `syllablesOf` receives each word (lowercased surviving chars).
 */
export function countText(text: string, syllablesOf: (word: string) => number): TextCounts {
  const n = text.length;
  // Lowercase once; slices of it are the words (unless lowering changed the length, e.g. "İ").
  const lowered = text.toLowerCase();
  const sameLength = lowered.length === n;
  const src = sameLength ? lowered : text;
  let words = 0;
  let syllables = 0;
  let characters = 0;
  let tokens = 0;

  // Current whitespace token: whether it has surviving chars, and the surviving text collected so far.
  let inToken = false;
  let wordStart = -1; // start of the current contiguous run of surviving chars
  let word = ""; // surviving chars of earlier runs in this token
  let hasWord = false;

  // Sentence matcher state: 0 = looking for a start, 1 = in body, 2 = in trailing terminators.
  let sState = 0;
  let sentences = 0;
  let shortSentences = 0;
  let sWords = 0;
  let sTokenCounted = false;
  let prevWord = false; // is the previous code point a `\w` char (for `\b`)

  for (let i = 0; i < n; ) {
    let cp = text.charCodeAt(i);
    let width = 1;
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
        width = 2;
      }
    }
    const cls = classOf(cp);
    const space = (cls & SPACE) !== 0;
    const wordChar = (cls & WORD) !== 0;
    const survives = wordChar || (cp === APOS && contractionAt(text, i));
    const term = (cls & TERM) !== 0;

    // Sentences.
    if (sState === 2 && !term) {
      sentences++;
      if (sWords <= 2) shortSentences++;
      sState = 0;
    }
    if (sState === 0 && !term && prevWord !== wordChar) {
      sState = 1;
      sWords = 0;
      sTokenCounted = false;
    } else if (sState === 1 && term) {
      sState = 2;
    }
    if (sState !== 0) {
      if (space) sTokenCounted = false;
      else if (survives && !sTokenCounted) {
        sWords++;
        sTokenCounted = true;
      }
    }
    prevWord = wordChar;

    // Tokens, words, characters.
    if (space) {
      if (inToken) {
        inToken = false;
        if (hasWord) {
          words++;
          syllables += syllablesOf(tokenWord(src, wordStart, i, word, sameLength));
        }
        wordStart = -1;
        word = "";
        hasWord = false;
      }
    } else {
      characters++;
      if (!inToken) {
        inToken = true;
        tokens++;
      }
      if (survives) {
        hasWord = true;
        if (wordStart < 0) wordStart = i;
      } else if (wordStart >= 0) {
        word += src.slice(wordStart, i);
        wordStart = -1;
      }
    }
    i += width;
  }
  if (inToken && hasWord) {
    words++;
    syllables += syllablesOf(tokenWord(src, wordStart, n, word, sameLength));
  }
  if (sState !== 0) {
    sentences++;
    if (sWords <= 2) shortSentences++;
  }

  return {
    words,
    sentences: n === 0 ? 0 : Math.max(1, sentences - shortSentences),
    syllables: n === 0 ? 0 : syllables,
    characters,
    tokens,
  };
}

/** `textstat.flesch_kincaid_grade`, from counts. */
export function fleschKincaidFromCounts(c: TextCounts): number {
  const sentenceLength = c.sentences === 0 ? 0 : c.words / c.sentences;
  const syllablesPerWord = c.words === 0 ? 0 : c.syllables / c.words;
  if (sentenceLength === 0 || syllablesPerWord === 0) return 0.0;
  return 0.39 * sentenceLength + 11.8 * syllablesPerWord - 15.59;
}

/** `textstat.automated_readability_index`, from counts. */
export function ariFromCounts(c: TextCounts): number {
  const charsPerWord = c.tokens === 0 ? 0 : c.characters / c.tokens;
  const wordsPerSentence = c.sentences === 0 ? 0 : c.words / c.sentences;
  if (charsPerWord === 0 || wordsPerSentence === 0) return 0.0;
  return 4.71 * charsPerWord + 0.5 * wordsPerSentence - 21.43;
}
