import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Readability } from "../../eval/metrics/readability/index.ts";
import { HyphenationPatterns } from "../../eval/metrics/readability/pyphen.ts";
import { countText } from "../../eval/metrics/readability/text-stats.ts";
import { runPython } from "../helpers/python.ts";
import { FIXTURES, nltkData, pyphenDic, readJsonl, TEXTSTAT_SCORES, TEXTSTAT_WORDS } from "../helpers/reference-data.ts";
import { NEVER_CREATED, REPO_ROOT, tempDir } from "../helpers/tmp.ts";

interface FixtureRow {
  id: string;
  text: string;
  flesch_kincaid_grade_level: number;
  ari_grade_level: number;
  words: number;
  sentences: number;
  syllables: number;
  characters: number;
  words_incl_punct_tokens: number;
}
const fixture = readJsonl<FixtureRow>(TEXTSTAT_SCORES);
const words = readJsonl<{ id: string; words: [string, number, "cmudict" | "pyphen"][] }>(TEXTSTAT_WORDS);
const NLTK_DATA = nltkData();
const DIC = pyphenDic();
const isolated = { HOME: NEVER_CREATED, EVALLAB_CACHE_DIR: NEVER_CREATED };

const exact = await Readability.load({ env: { ...isolated, NLTK_DATA, EVALLAB_HYPHEN_DIC: DIC }, download: false });

describe("readability with textstat's own data", () => {
  it("finds NLTK's cmudict through NLTK_DATA and Pyphen's patterns, without warnings", () => {
    expect(exact.data.cmudictSource).toEqual({ kind: "nltk-cmudict", path: NLTK_DATA });
    expect(exact.data.hyphenSource.kind).toBe("pyphen-hyph_en_US");
    expect(exact.data.warnings).toEqual([]);
    expect(exact.data.cmudict.size).toBe(123455); // distinct words of cmudict 0.7a's 127,069 entries
  });

  it.each(fixture.map((r) => [r.id, r] as const))("%s: counts, FK and ARI equal textstat's", (_id, row) => {
    const c = exact.counts(row.text);
    expect({ words: c.words, sentences: c.sentences, syllables: c.syllables, characters: c.characters, tokens: c.tokens }).toEqual({
      words: row.words,
      sentences: row.sentences,
      syllables: row.syllables,
      characters: row.characters,
      tokens: row.words_incl_punct_tokens,
    });
    expect(Math.abs(exact.fleschKincaid(row.text) - row.flesch_kincaid_grade_level)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(exact.ari(row.text) - row.ari_grade_level)).toBeLessThanOrEqual(1e-9);
  });

  it("counts every fixture word's syllables from the same source as textstat", () => {
    const mismatches: string[] = [];
    for (const row of words) {
      for (const [word, count, source] of row.words) {
        const inDict = exact.data.cmudict.has(word);
        if (inDict !== (source === "cmudict")) mismatches.push(`${row.id}/${word}: source`);
        if (exact.wordSyllables(word) !== count) mismatches.push(`${row.id}/${word}: ${exact.wordSyllables(word)} != ${count}`);
      }
    }
    expect(mismatches).toEqual([]);
  });
});

describe("the committed textstat fixture", () => {
  const script = join(REPO_ROOT, "test", "python", "make_textstat_fixture.py");
  const run = (file: string) => runPython([file, "--check"], { cwd: REPO_ROOT, env: { HOME: NEVER_CREATED, NLTK_DATA } });

  it("is what the venv's real textstat 0.7.11 computes today", async () => {
    const r = await run(script);
    expect(r.code, r.stderr).toBe(0);
  });

  it("is refused by --check when a number in it is off", async () => {
    // The same script beside a copy of the fixtures with one score changed.
    const dir = tempDir();
    mkdirSync(join(dir, "python"));
    cpSync(FIXTURES, join(dir, "fixtures"), { recursive: true });
    const copy = join(dir, "python", "make_textstat_fixture.py");
    cpSync(script, copy);
    const scores = join(dir, "fixtures", "readability-textstat-0.7.11.jsonl");
    const [first, ...rest] = readFileSync(scores, "utf8").split("\n");
    const row = JSON.parse(first);
    writeFileSync(scores, [JSON.stringify({ ...row, ari_grade_level: row.ari_grade_level + 0.1 }), ...rest].join("\n"));
    const r = await run(copy);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/readability-textstat-0\.7\.11\.jsonl differ from textstat's numbers/);
  });
});

describe("textstat's tokenizing rules", () => {
  const one = () => 1;
  it("keeps contraction apostrophes (case-sensitive lookahead) and drops others", () => {
    const seen: string[] = [];
    countText("Don't DON'T rock 'n' roll, it's 'quoted'", (w) => seen.push(w) && 1);
    expect(seen).toEqual(["don't", "dont", "rock", "n", "roll", "it's", "quoted"]);
  });
  it("joins a token's pieces when punctuation is removed (end-to-end → endtoend)", () => {
    const seen: string[] = [];
    countText("end-to-end (ML)", (w) => seen.push(w) && 1);
    expect(seen).toEqual(["endtoend", "ml"]);
  });
  it("drops sentences of two words or fewer but counts at least one", () => {
    expect(countText("Yes. No. This is a full sentence.", one).sentences).toBe(1);
    expect(countText("One two three. Four five six!", one).sentences).toBe(2);
    expect(countText("Hi.", one).sentences).toBe(1);
    expect(countText("", one)).toEqual({ words: 0, sentences: 0, syllables: 0, characters: 0, tokens: 0 });
  });
  it("splits sentences at Python's Unicode word boundaries", () => {
    // "3.14" splits into "3." and "14 is pi today ..." as re.findall(r"\b[^.!?]+[.!?]*") does.
    expect(countText("Pi is about 3.14 and that is all we need.", one).sentences).toBe(2);
    expect(countText("Él habló. ¿Qué pasó aquí hoy?", one).sentences).toBe(1);
  });
  it("uses Python's whitespace: U+0085 and U+001F split, U+FEFF does not", () => {
    expect(countText("a\u0085b\u001fc", one).tokens).toBe(3);
    expect(countText("a\ufeffb", one).tokens).toBe(1);
    expect(countText("a\ufeffb", one).characters).toBe(3);
  });
  it("counts code points, not UTF-16 units", () => {
    expect(countText("😀😀 𝐀𝐁", one)).toMatchObject({ characters: 4, tokens: 2, words: 1 });
  });
  it("gives 0.0 on empty or punctuation-only text (textstat's zero guards)", () => {
    expect(exact.fleschKincaid("")).toBe(0);
    expect(exact.ari("")).toBe(0);
    expect(exact.fleschKincaid("... !!! ???")).toBe(0);
    expect(exact.ari("... !!! ???")).toBe(0);
  });
});

describe("Pyphen patterns", () => {
  // Expected values are what Pyphen 0.18.1 returns for the same file.
  it("parses digits, boundaries and ^^xx escapes, and applies left/right minimums", () => {
    const hd = new HyphenationPatterns("UTF-8\nLEFTHYPHENMIN 2\n% comment\n1ba\na1b\n.ab4\n^^e9t1\n");
    expect(hd.size).toBe(4);
    expect(hd.rawPositions("abab")).toEqual([1, 3]);
    expect(hd.positions("abab")).toEqual([]);
    expect(hd.rawPositions("ababab")).toEqual([1, 3, 5]);
    expect(hd.positions("ababab")).toEqual([3]);
    expect(hd.rawPositions("été")).toEqual([2]);
    expect(hd.positions("été")).toEqual([]);
  });
});

describe("data sources", () => {
  it("downloads NLTK's cmudict and Pyphen's patterns once into the cache, then reads the cache", async () => {
    const zip = readFileSync(join(NLTK_DATA, "corpora", "cmudict.zip"));
    const dic = readFileSync(DIC);
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(req.url ?? "");
      if (req.url === "/cmudict.zip") res.end(zip);
      else if (req.url === "/hyph_en_US.dic") res.end(dic);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const { port } = server.address() as { port: number };
    const cache = tempDir();
    const env = {
      HOME: NEVER_CREATED,
      EVALLAB_CACHE_DIR: cache,
      EVALLAB_CMUDICT_URL: `http://127.0.0.1:${port}/cmudict.zip`,
      EVALLAB_HYPHEN_DIC_URL: `http://127.0.0.1:${port}/hyph_en_US.dic`,
    };
    try {
      const first = await Readability.load({ env });
      expect(first.data.cmudictSource.kind).toBe("nltk-cmudict");
      expect(first.data.hyphenSource.kind).toBe("pyphen-hyph_en_US");
      expect(existsSync(join(cache, "nltk_data", "corpora", "cmudict.zip"))).toBe(true);
      expect(existsSync(join(cache, "pyphen", "hyph_en_US.dic"))).toBe(true);
      const second = await Readability.load({ env });
      expect(second.data.warnings).toEqual([]);
      expect(hits.sort()).toEqual(["/cmudict.zip", "/hyph_en_US.dic"]);
      for (const row of fixture) expect(second.fleschKincaid(row.text)).toBe(exact.fleschKincaid(row.text));
    } finally {
      server.close();
    }
  });

  it("falls back to the npm dictionaries offline, with one warning per source saying how to fix it", async () => {
    const r = await Readability.load({ env: isolated, download: false });
    expect(r.data.cmudictSource.kind).toBe("npm-cmu-pronouncing-dictionary");
    expect(r.data.hyphenSource.kind).toBe("npm-hyphen-en-us");
    expect(r.data.warnings).toHaveLength(2);
    expect(r.data.warnings.join("\n")).toMatch(/NLTK_DATA/);
    expect(r.data.warnings.join("\n")).toMatch(/EVALLAB_HYPHEN_DIC/);
    // ARI does not depend on syllables: it stays exact whatever the source.
    for (const row of fixture) expect(Math.abs(r.ari(row.text) - row.ari_grade_level)).toBeLessThanOrEqual(1e-9);
  });

  it("reports a failed download and still works", async () => {
    const r = await Readability.load({
      env: { ...isolated, EVALLAB_CMUDICT_URL: "http://127.0.0.1:9/none.zip", EVALLAB_HYPHEN_DIC_URL: "http://127.0.0.1:9/x" },
      timeoutMs: 2000,
    });
    expect(r.data.warnings.filter((w) => w.startsWith("could not download"))).toHaveLength(2);
    expect(r.fleschKincaid("The cat sat on the mat today.")).toBeGreaterThan(-20);
  });
});
