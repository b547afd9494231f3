// NLTK's cmudict corpus → syllables per word, as textstat reads it: `cmudict.dict()[word][0]` (the
// first pronunciation in file order), counting phones that end in a stress digit.

/** Parse the corpus text (`WORD N PH ON ES` per line) into word → syllable count. */
export function parseNltkCmudict(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    const pieces = line.trim().split(/\s+/);
    if (pieces.length < 2 || pieces[0] === "") continue;
    const word = pieces[0].toLowerCase();
    if (out.has(word)) continue; // first pronunciation wins
    let syllables = 0;
    for (let i = 2; i < pieces.length; i++) {
      const last = pieces[i].charCodeAt(pieces[i].length - 1);
      if (last >= 0x30 && last <= 0x39) syllables++;
    }
    out.set(word, syllables);
  }
  return out;
}

/** The npm `cmu-pronouncing-dictionary` shape (`word` and `word(2)` → "PH ON ES") → syllable counts. */
export function fromPronouncingDictionary(dict: Record<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, phones] of Object.entries(dict)) {
    if (key.endsWith(")") && /\(\d+\)$/.test(key)) continue; // alternate pronunciations
    let syllables = 0;
    for (const p of phones.split(" ")) {
      const last = p.charCodeAt(p.length - 1);
      if (last >= 0x30 && last <= 0x39) syllables++;
    }
    out.set(key, syllables);
  }
  return out;
}
