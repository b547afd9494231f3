// (3) Peak RSS of `evallab eval --predictions` over a 100,000-row file (a child process, measured by
// the kernel's max RSS as the child reports it on exit).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixtureTexts, readabilityEnv } from "./fixture.ts";

const ROWS = 100_000;
const GOAL_MIB = 300;

export function benchMemory(): void {
  const dir = mkdtempSync(join(tmpdir(), "evallab-bench-"));
  try {
    const corpus = fixtureTexts();
    const data = join(dir, "big.jsonl");
    const lines: string[] = [];
    for (let i = 0; i < ROWS; i++) lines.push(JSON.stringify({ inputs: `Question ${i}?`, answer: `${corpus[i % corpus.length]} (${i})` }));
    writeFileSync(data, `${lines.join("\n")}\n`);
    const child = join(import.meta.dirname, "rss-child.ts");
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ["--import", "tsx", child, "eval", "--data", data, "--predictions", "answer", "--out", join(dir, "out"), "--quiet"], {
      cwd: join(import.meta.dirname, ".."),
      env: {
        ...process.env,
        ...readabilityEnv(),
        EVALLAB_TOXICITY_MODEL: join(dir, "no-toxicity-model"), // not there: skipped, as offline
      },
      encoding: "utf8",
    });
    const seconds = (performance.now() - t0) / 1000;
    const kib = Number(/maxrss_kib=(\d+)/.exec(r.stderr)?.[1]);
    const mib = kib / 1024;
    console.log(`(3) memory: --predictions over ${ROWS.toLocaleString("en")} rows (exit ${r.status}, ${seconds.toFixed(1)} s)`);
    // A failed run's peak says nothing about a finished one: show why, and no ratio.
    if (r.status !== 0 || !Number.isFinite(kib)) console.log(`    FAILED: ${r.stderr.slice(-300)}`);
    else console.log(`    peak RSS ${mib.toFixed(0)} MiB; ratio to goal ${GOAL_MIB} MiB: ${(mib / GOAL_MIB).toFixed(2)} (≤ 1 is within goal)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
