// token_count must equal MLflow's count: tiktoken's cl100k_base, run for real in the test venv.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { countTokens } from "../../eval/metrics/token-count.ts";
import { runPython, tiktokenCache } from "../helpers/python.ts";
import { tempDir } from "../helpers/tmp.ts";

/** Text that stresses the pre-tokenizer: scripts, emoji sequences, digits, contractions, whitespace runs, special-token text. */
function corpus(): string[] {
  const fixed = [
    "",
    " ",
    "  \n\n\t  ",
    "Hello, world!",
    "<|endoftext|> is ordinary text here",
    "a<|fim_prefix|>b<|im_start|>",
    "12345678901234567890",
    "3.14159 and 2,718,281",
    "naïve café — “quoted” ‘text’ … done",
    "日本語のテキストと中文字符",
    "emoji 👩‍👩‍👧‍👦 🇺🇳 ✨",
    "tabs\tand\r\nCRLF",
    "don't won't I'm you'LL WE'VE",
    "x".repeat(3000),
    "ab ".repeat(2000),
    `${"\n".repeat(100)}end`,
    "Σὲ γνωρίζω ἀπὸ τὴν κόψη",
    "Привет, мир!",
    "a\u200bb\u00a0c",
    "mixed   spaces   here   ",
  ];
  const alphabet = [" ", "\n", "a", "Q", "'s", "7", "é", "中", "😀", "\t", ".", "ß"];
  const generated = Array.from({ length: 300 }, (_, i) =>
    Array.from({ length: 40 + (i % 50) }, (_, j) => alphabet[(i * 31 + j * 7 + ((i * j) % 5)) % alphabet.length]).join(""),
  );
  return [...fixed, ...generated];
}

describe("token_count", () => {
  it("equals tiktoken's cl100k_base count on every text", async () => {
    const dir = tempDir();
    const texts = corpus();
    writeFileSync(join(dir, "texts.json"), JSON.stringify(texts));
    const r = await runPython(
      [
        "-c",
        "import json,sys,tiktoken; e=tiktoken.get_encoding('cl100k_base'); print(json.dumps([len(e.encode_ordinary(t)) for t in json.load(open(sys.argv[1]))]))",
        join(dir, "texts.json"),
      ],
      { cwd: dir, env: { HOME: dir, TIKTOKEN_CACHE_DIR: tiktokenCache(join(dir, "tiktoken")) } },
    );
    expect(r.code, r.stderr).toBe(0);
    const expected: number[] = JSON.parse(r.stdout.trim().split("\n").pop() ?? "[]");
    expect(expected).toHaveLength(texts.length);
    expect(texts.map(countTokens)).toEqual(expected);
  });
});
