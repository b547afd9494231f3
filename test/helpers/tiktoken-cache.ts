// tiktoken downloads cl100k_base on first use (no network here). js-tiktoken ships the same ranks;
// written back in tiktoken's format they are byte-identical (tiktoken checks the file's sha256).
// No test framework here: the benchmarks use it too.
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ranks from "js-tiktoken/ranks/cl100k_base";

const CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken";

/** Write tiktoken's cache file for cl100k_base into `dir` (use it as TIKTOKEN_CACHE_DIR). */
export function tiktokenCache(dir: string): string {
  const entries: [string, number][] = [];
  for (const line of ranks.bpe_ranks.split("\n").filter(Boolean)) {
    const [, offset, ...tokens] = line.split(" ");
    for (const [i, t] of tokens.entries()) entries.push([t, Number(offset) + i]);
  }
  entries.sort((a, b) => a[1] - b[1]);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, createHash("sha1").update(CL100K_URL).digest("hex")), entries.map(([t, r]) => `${t} ${r}\n`).join(""));
  return dir;
}
