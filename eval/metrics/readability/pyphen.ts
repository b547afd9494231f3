// Liang hyphenation as Pyphen 0.18.1 does it (`HyphDict` + `Pyphen(left=2, right=2).positions`), which is
// textstat's syllable fallback for words missing from cmudict: syllables = len(positions) + 1.

const IGNORED = ["%", "#", "LEFTHYPHENMIN", "RIGHTHYPHENMIN", "COMPOUNDLEFTHYPHENMIN", "COMPOUNDRIGHTHYPHENMIN"];

interface Pattern {
  offset: number;
  values: number[];
}

/** Python `str.strip()` whitespace, enough for pattern files. */
const strip = (s: string) => s.replace(/^[\s\x1c-\x1f\x85]+|[\s\x1c-\x1f\x85]+$/gu, "");

export class HyphenationPatterns {
  private readonly patterns = new Map<string, Pattern>();
  private readonly maxlen: number;

  /** Parse a `hyph_*.dic` file's text (first line: its encoding, ignored here: pass decoded text). */
  constructor(dicText: string) {
    const lines = dicText.split("\n").slice(1);
    for (const raw of lines) {
      let line = strip(raw);
      if (!line || IGNORED.some((p) => line.startsWith(p))) continue;
      line = line.replace(/\^\^([0-9a-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
      // Nonstandard hyphenation ("pattern/change,index,cut"): only its odd/even values matter for positions.
      if (line.includes("/") && line.includes("=")) line = line.slice(0, line.indexOf("/"));
      // Python: re.findall(r'(\d?)(\D?)', pattern) — one (digit, char) pair per step, plus a final empty match.
      const tags: string[] = [];
      const values: number[] = [];
      const chars = Array.from(line);
      let k = 0;
      for (;;) {
        let digit = "";
        if (k < chars.length && /^\p{Nd}$/u.test(chars[k])) digit = chars[k++];
        let tag = "";
        if (k < chars.length && !/^\p{Nd}$/u.test(chars[k])) tag = chars[k++];
        tags.push(tag);
        values.push(digit ? Number(digit) : 0);
        if (digit === "" && tag === "") break;
        if (k === chars.length) {
          // The empty match at the end of the string that findall still reports.
          tags.push("");
          values.push(0);
          break;
        }
      }
      if (Math.max(...values) === 0) continue;
      let start = 0;
      let end = values.length;
      while (!values[start]) start++;
      while (!values[end - 1]) end--;
      this.patterns.set(tags.join(""), { offset: start, values: values.slice(start, end) });
    }
    let maxlen = 0;
    for (const key of this.patterns.keys()) maxlen = Math.max(maxlen, Array.from(key).length);
    this.maxlen = maxlen;
  }

  get size(): number {
    return this.patterns.size;
  }

  /** `HyphDict.positions`: every odd-valued point, as an index into the (lowercased) word. */
  rawPositions(word: string): number[] {
    const pointed = Array.from(`.${word.toLowerCase()}.`);
    const len = pointed.length;
    const refs = new Array<number>(len + 1).fill(0);
    for (let i = 0; i < len - 1; i++) {
      const stop = Math.min(i + this.maxlen, len) + 1;
      let key = "";
      for (let j = i + 1; j < stop; j++) {
        key += pointed[j - 1];
        const p = this.patterns.get(key);
        if (!p) continue;
        for (let v = 0; v < p.values.length; v++) {
          const at = i + p.offset + v;
          if (p.values[v] > refs[at]) refs[at] = p.values[v];
        }
      }
    }
    const points: number[] = [];
    for (let i = 0; i < refs.length; i++) if (refs[i] % 2) points.push(i - 1);
    return points;
  }

  /** `Pyphen(left, right).positions(word)`. */
  positions(word: string, left = 2, right = 2): number[] {
    const last = Array.from(word).length - right;
    return this.rawPositions(word).filter((i) => left <= i && i <= last);
  }
}
