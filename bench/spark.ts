// (5) Static scoring at 100,000 rows (FK + ARI + token_count): the local engine against the notebook's
// Spark path in local[2] (real pyspark, the test venv), on the same rows in the same run. The Spark figure
// includes its JVM start and the MLflow run, as a cluster job would; it shows what the distributed path
// costs on one machine, not what a cluster gains.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tiktokenCache } from "../test/helpers/tiktoken-cache.ts";
import { fixtureTexts, readabilityEnv } from "./fixture.ts";

const ROWS = 100_000;

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): { seconds: number; ok: boolean; out: string } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 64 << 20 });
  return { seconds: (performance.now() - t0) / 1000, ok: r.status === 0, out: `${r.stdout}\n${r.stderr}` };
}

export function benchSpark(): void {
  const root = join(import.meta.dirname, "..");
  const python = join(root, ".venv", "bin", "python");
  const dir = mkdtempSync(join(tmpdir(), "evallab-bench-spark-"));
  try {
    const texts = fixtureTexts();
    const data = join(dir, "big.jsonl");
    writeFileSync(
      data,
      `${Array.from({ length: ROWS }, (_, i) => JSON.stringify({ inputs: `q${i}`, answer: `${texts[i % texts.length]} (${i})` })).join("\n")}\n`,
    );
    const readability = readabilityEnv();
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
        // tiktoken would download cl100k_base; the same ranks ship with js-tiktoken.
        TIKTOKEN_CACHE_DIR: tiktokenCache(join(dir, "tiktoken")),
      },
      dir,
    );
    const rate = (s: number) => Math.round(ROWS / s).toLocaleString("en");
    console.log(`(5) static scoring, ${ROWS.toLocaleString("en")} rows, FK + ARI + token_count`);
    const line = (name: string, r: typeof local) =>
      console.log(
        r.ok
          ? `    ${name}: ${r.seconds.toFixed(1)} s (${rate(r.seconds)} rows/s)`
          : `    ${name}: FAILED after ${r.seconds.toFixed(1)} s: ${r.out.trim().slice(-300)}`,
      );
    line("local engine", local);
    line("Spark local[2] (notebook's large-data path)", spark);
    // A failed run's time is not a figure: a ratio needs both runs to have finished.
    if (local.ok && spark.ok) console.log(`    ratio Spark / local: ${(spark.seconds / local.seconds).toFixed(1)}× the time on this 2-core machine`);
    else console.log("    no ratio: a run failed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
