// Python `re`/`str` character classes, for textstat-exact tokenizing in JavaScript.
// JS `\w`, `\s` and `\b` are ASCII or differ from Python's Unicode rules, so classes are built here.

/** Python `str.isspace()` / Unicode `\s` in `re` (JS `\s` differs: it has U+FEFF, lacks U+001C-1F and U+0085). */
export function isPySpace(cp: number): boolean {
  return (
    (cp >= 0x09 && cp <= 0x0d) ||
    (cp >= 0x1c && cp <= 0x20) ||
    cp === 0x85 ||
    cp === 0xa0 ||
    cp === 0x1680 ||
    (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 ||
    cp === 0x2029 ||
    cp === 0x202f ||
    cp === 0x205f ||
    cp === 0x3000
  );
}

const WORD_RE = /^[\p{L}\p{N}_]$/u;
// Lazily filled BMP table: 0 = unknown, 1 = not a word char, 2 = word char.
const bmpWord = new Uint8Array(0x10000);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  bmpWord[c] = /[A-Za-z0-9_]/.test(ch) ? 2 : 1;
}

/** Python `re` Unicode `\w`: letters (L*), numbers (N*) and underscore; combining marks are not. */
export function isPyWord(cp: number): boolean {
  if (cp < 0x10000) {
    let v = bmpWord[cp];
    if (v === 0) {
      v = WORD_RE.test(String.fromCharCode(cp)) ? 2 : 1;
      bmpWord[cp] = v;
    }
    return v === 2;
  }
  return WORD_RE.test(String.fromCodePoint(cp));
}

/** Sentence terminators of textstat's `\b[^.!?]+[.!?]*`. */
export function isTerminator(cp: number): boolean {
  return cp === 0x2e || cp === 0x21 || cp === 0x3f;
}
