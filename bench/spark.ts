// (5) Static scoring at 100,000 rows (FK + ARI + token_count): the local engine against the notebook's
// Spark path in local[2] (real pyspark, the test venv), on the same rows in the same run. The Spark figure
// includes its JVM start and the MLflow run, as a cluster job would; it shows what the distributed path
// costs on one machine, not what a cluster gains.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixtureTexts, readabilityEnv } from "./fixture.ts";

const ROWS = 100_000;

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): { seconds: number; ok: boolean; out: string } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 64 << 20 });
  return { seconds: (performance.now() - t0) / 1000, ok: r.status === 0, out: `${r.stdout}\n${r.stderr}` };
}

export function benchSpark(shared: string): void {
  const root = join(import.meta.dirname, "..");
  const python = join(root, ".venv", "bin", "python");
  const dir = mkdtempSync(join(tmpdir(), "evallab-bench-spark-"));
  try {
    const texts = fixtureTexts(shared);
    const data = join(dir, "big.jsonl");
    writeFileSync(
      data,
      `${Array.from({ length: ROWS }, (_, i) => JSON.stringify({ inputs: `q${i}`, answer: `${texts[i % texts.length]} (${i})` })).join("\n")}\n`,
    );
    const readability = readabilityEnv(shared);
    const local = timed(
      process.execPath,
      [
        join(root, "scripts", "evallab.mjs"),
        "eval",
        "--data",
        data,
        "--predictions",
        "answer",
        "--metrics",
        "token_count,flesch_kincaid_grade_level,ari_grade_level",
        "--out",
        join(dir, "local"),
        "--quiet",
      ],
      readability,
      dir,
    );
    const spark = timed(
      python,
      [
        join(root, "eval", "notebooks", "qa_evaluation.py"),
        "--dataset",
        data,
        "--engine",
        "spark",
        "--predictions-column",
        "answer",
        "--table-dir",
        join(dir, "spark"),
      ],
      {
        ...readability,
        HOME: dir,
        MLFLOW_TRACKING_URI: `sqlite:///${join(dir, "mlflow.db")}`,
        AZURE_OPENAI_ENDPOINT: "http://127.0.0.1:9",
        AZURE_OPENAI_API_KEY: "unused",
        EVALLAB_SPARK_MASTER: "local[2]",
        TIKTOKEN_CACHE_DIR: process.env.TIKTOKEN_CACHE_DIR ?? join(dir, "tiktoken"),
      },
      dir,
    );
    const rate = (s: number) => Math.round(ROWS / s).toLocaleString("en");
    console.log(`(5) static scoring, ${ROWS.toLocaleString("en")} rows, FK + ARI + token_count`);
    console.log(`    local engine: ${local.seconds.toFixed(1)} s (${rate(local.seconds)} rows/s)${local.ok ? "" : " FAILED"}`);
    console.log(
      `    Spark local[2] (notebook's large-data path): ${spark.seconds.toFixed(1)} s (${rate(spark.seconds)} rows/s)${spark.ok ? "" : ` FAILED: ${spark.out.slice(-300)}`}`,
    );
    console.log(`    ratio Spark / local: ${(spark.seconds / local.seconds).toFixed(1)}× the time on this 2-core machine`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
