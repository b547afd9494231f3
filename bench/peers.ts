// Peers measured in the same run, on the same texts: Python textstat 0.7.11 and tiktoken from the test
// venv (`npm test` makes it). Ratios are of figures taken side by side, never of remembered constants.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tiktokenCache } from "../test/helpers/tiktoken-cache.ts";

const VENV_PYTHON = join(import.meta.dirname, "..", ".venv", "bin", "python");

const SCRIPT = `
import json, sys, time
texts = json.load(open(sys.argv[1])); kind = sys.argv[2]; rounds = int(sys.argv[3])
if kind == "textstat":
    import textstat
    fn = lambda t: textstat.flesch_kincaid_grade(t) + textstat.automated_readability_index(t)
else:
    import tiktoken
    enc = tiktoken.get_encoding("cl100k_base")
    fn = lambda t: len(enc.encode_ordinary(t))
best = 0.0
for _ in range(rounds):
    t0 = time.perf_counter()
    for t in texts: fn(t)
    best = max(best, len(texts) / (time.perf_counter() - t0))
print(best)
`;

/** Texts per second of a Python peer (best of `rounds`), or undefined when the venv is missing. */
export function pythonRate(kind: "textstat" | "tiktoken", texts: string[], env: Record<string, string>, rounds = 3): number | undefined {
  if (!existsSync(VENV_PYTHON)) return undefined;
  const dir = mkdtempSync(join(tmpdir(), "evallab-peer-"));
  try {
    writeFileSync(join(dir, "texts.json"), JSON.stringify(texts));
    const r = spawnSync(VENV_PYTHON, ["-c", SCRIPT, join(dir, "texts.json"), kind, String(rounds)], {
      env: { PATH: process.env.PATH ?? "", HOME: dir, TIKTOKEN_CACHE_DIR: tiktokenCache(join(dir, "tiktoken")), ...env },
      encoding: "utf8",
      timeout: 300_000,
    });
    const rate = Number(r.stdout.trim().split("\n").pop());
    return r.status === 0 && Number.isFinite(rate) ? rate : undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const peerNote = "peer not measured: no .venv (run `npm test` once to make it)";
