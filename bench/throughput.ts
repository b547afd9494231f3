// (1) Rows per minute against the fake's Azure-like limiter, as a share of what the limiter allows, on
// two deployments: the lab's own (5K TPM / 30 RPM) and a roomy one (600 RPM, ordinary 1.5 s latency).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../scripts/cli.ts";
import { FakeAzureOpenAI } from "../test/fakes/azure-openai.ts";

interface Scenario {
  name: string;
  rpm: number;
  tpm: number;
  latencyMs: number;
  rows: number;
}

const SCENARIOS: Scenario[] = [
  { name: "lab-sized", rpm: 30, tpm: 5_000, latencyMs: 800, rows: 40 },
  { name: "roomy", rpm: 600, tpm: 1_000_000, latencyMs: 1500, rows: 300 },
];

async function run(s: Scenario): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "evallab-bench-"));
  const fake = await new FakeAzureOpenAI({ rpm: s.rpm, tpm: s.tpm, latencyMs: s.latencyMs }).start();
  try {
    const data = join(dir, "rows.jsonl");
    writeFileSync(data, Array.from({ length: s.rows }, (_, i) => JSON.stringify({ inputs: `Benchmark question ${i}?` })).join("\n"));
    let stdout = "";
    const t0 = performance.now();
    const code = await main(["eval", "--data", data, "--out", join(dir, "out"), "--metrics", "token_count"], {
      out: (t) => (stdout += t),
      err: () => {},
      env: {
        ...process.env,
        AZURE_OPENAI_ENDPOINT: fake.url,
        AZURE_OPENAI_API_KEY: fake.opts.apiKey,
        AZURE_OPENAI_API_VERSION: "2024-10-21",
        EVALLAB_OFFLINE: "1",
      },
      cwd: dir,
      isTTY: false,
    });
    const seconds = (performance.now() - t0) / 1000;
    const failed = Number(/failed (\d+)/.exec(stdout)?.[1] ?? Number.NaN);
    // The fake's buckets hold 10 s of budget (RPM/6) and refill at RPM/60 per second (tokens likewise):
    // the fastest possible run sends the first window's budget at once, the rest at the refill rate,
    // and waits one latency for the last answer.
    const perRequestTokens = 16 + 12; // the fake's admission charge: prompt estimate + 16 (no max_tokens)
    const rate = Math.min(s.rpm, s.tpm / perRequestTokens) / 60;
    const burst = Math.min(s.rpm, s.tpm / perRequestTokens) / 6;
    const idealSeconds = Math.max(0, s.rows - burst) / rate + s.latencyMs / 1000;
    const throttled = fake.requests.filter((r) => r.status === 429).length;
    const answered = new Map<string, number>();
    for (const r of fake.completed) answered.set(JSON.stringify(r.messages), (answered.get(JSON.stringify(r.messages)) ?? 0) + 1);
    const duplicates = [...answered.values()].filter((n) => n > 1).length;
    console.log(`(1) throughput, ${s.name}: ${s.rows} rows at ${s.rpm} RPM / ${s.tpm / 1000}K TPM, ${s.latencyMs} ms latency (exit ${code})`);
    console.log(`    ${((s.rows / seconds) * 60).toFixed(1)} rows/min in ${seconds.toFixed(1)} s; the limiter allows ${idealSeconds.toFixed(1)} s at best`);
    console.log(
      `    ratio to the limiter's bound: ${(idealSeconds / seconds).toFixed(3)} (goal ≥ 0.95); failed rows: ${failed}; 429s: ${throttled}; duplicate answered calls: ${duplicates}`,
    );
  } finally {
    await fake.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchThroughput(): Promise<void> {
  for (const s of SCENARIOS) await run(s);
}
