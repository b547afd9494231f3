// (1) Rows per minute against the fake's Azure-like limiter, as a share of what the limiter allows.
import { join } from "node:path";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { main } from "../scripts/cli.ts";
import { FakeAzureOpenAI } from "../test/fakes/azure-openai.ts";

const RPM = 360;
const TPM = 60_000;
const LATENCY = 300;
const ROWS = 200;

export async function benchThroughput(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "evallab-bench-"));
  const fake = await new FakeAzureOpenAI({ rpm: RPM, tpm: TPM, latencyMs: LATENCY }).start();
  try {
    const data = join(dir, "rows.jsonl");
    writeFileSync(data, Array.from({ length: ROWS }, (_, i) => JSON.stringify({ inputs: `Benchmark question ${i}?` })).join("\n"));
    let stdout = "";
    const t0 = performance.now();
    const code = await main(["eval", "--data", data, "--out", join(dir, "out"), "--metrics", "token_count", "--max-concurrency", "16"], {
      out: (t) => (stdout += t),
      err: () => {},
      env: { ...process.env, AZURE_OPENAI_ENDPOINT: fake.url, AZURE_OPENAI_API_KEY: fake.opts.apiKey, EVALLAB_OFFLINE: "1" },
      cwd: dir,
      isTTY: false,
    });
    const seconds = (performance.now() - t0) / 1000;
    const failed = Number(/failed (\d+)/.exec(stdout)?.[1] ?? Number.NaN);
    // The limiter holds 10 s of budget (RPM/6) and refills at RPM/60 per second: the fastest possible
    // run sends the burst at once, the rest at the refill rate, and waits one latency for the last answer.
    const burst = RPM / 6;
    const idealSeconds = Math.max(0, ROWS - burst) / (RPM / 60) + LATENCY / 1000;
    const throttled = fake.requests.filter((r) => r.status === 429).length;
    console.log(`(1) throughput: ${ROWS} rows at ${RPM} RPM / ${TPM / 1000}K TPM, ${LATENCY} ms latency (exit ${code})`);
    console.log(`    ${((ROWS / seconds) * 60).toFixed(1)} rows/min in ${seconds.toFixed(1)} s; limiter allows ${idealSeconds.toFixed(1)} s at best`);
    console.log(`    ratio to the limiter's bound: ${(idealSeconds / seconds).toFixed(3)} (goal ≥ 0.95); failed rows: ${failed}; 429s: ${throttled}`);
  } finally {
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
