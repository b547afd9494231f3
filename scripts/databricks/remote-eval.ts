// The lab's own evaluation on Databricks: start the cluster if needed, run the deployed notebook once
// (Jobs 2.2), and bring its metrics and per-row table home in the local engine's files.
import { createHash, randomUUID } from "node:crypto";
import { once } from "node:events";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { type Columns, type QaRow, readQaRows } from "../../eval/data/readers.ts";
import { METRICS_FILE, TABLE_FILE, TableWriter, writeJson } from "../../eval/report.ts";
import type { LabOutputs } from "../lab-state.ts";
import { DatabricksClient } from "./client.ts";
import { waitForCluster } from "./cluster.ts";
import { downloadLines, readIfThere, uploadFile } from "./files.ts";
import { submitNotebookRun, waitForRun } from "./jobs.ts";
import { downloadWorkspaceFile, uploadWorkspaceFile } from "./workspace.ts";

/** Notebook parameters above this size go through a workspace file instead. */
export const MAX_INLINE_PARAM_BYTES = 10_000;

export class RemoteEvalError extends Error {
  readonly exitCode = 1;
}

export interface RemoteEvalOptions {
  lab: LabOutputs;
  env: NodeJS.ProcessEnv;
  data?: string;
  columns: Columns;
  outDir: string;
  onTick: (text: string) => void;
  pollMs?: number;
  /** Judged scorers (MLflow's names) for the notebook's mlflow.genai.evaluate, with their guidelines and judge. */
  judge?: { scorers: string[]; guidelines: string[]; deployment?: string };
  /** The notebook's engine: pandas (mlflow.evaluate), spark (large data), auto (by size). @default "auto" */
  engine?: "auto" | "pandas" | "spark";
}

export interface RemoteEvalResult {
  runId: string;
  runUrl: string;
  jobRunUrl?: string;
  metrics: Record<string, number>;
  rows: number;
}

/** The workspace folder the notebook (and the bundled dataset) live in. */
const folderOf = (notebookPath: string) => notebookPath.replace(/\/[^/]+$/, "");

/**
 * A dataset too large for a parameter goes to the lab's volume through the Files API: rewritten row by
 * row as JSON lines into a temp file (the columns the notebook reads), then uploaded streamed — the
 * laptop never holds it whole.
 */
async function uploadToVolume(db: DatabricksClient, opts: RemoteEvalOptions, volume: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "evallab-upload-"));
  const file = join(dir, "dataset.jsonl");
  const hash = createHash("sha256");
  const out = createWriteStream(file, { mode: 0o600 });
  let rows = 0;
  try {
    for await (const r of readQaRows(opts.data as string, opts.columns)) {
      const line = `${JSON.stringify(rowOf(opts, r))}\n`;
      hash.update(line);
      if (!out.write(line)) await once(out, "drain");
      rows++;
    }
    out.end();
    await finished(out);
    const path = `${volume}/datasets/${hash.digest("hex").slice(0, 16)}.jsonl`;
    opts.onTick(`uploading the dataset (${rows} rows, ${Math.ceil(statSync(file).size / 1024)} KiB) to ${path}`);
    await uploadFile(db, path, file);
    return path;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The columns the notebook reads, under the dataset's own names. */
function rowOf(opts: RemoteEvalOptions, r: QaRow): Record<string, string> {
  return {
    [opts.columns.inputs]: r.input,
    ...(opts.columns.targets ? { [opts.columns.targets]: r.target ?? "" } : {}),
    ...(opts.columns.predictions ? { [opts.columns.predictions]: r.prediction ?? "" } : {}),
  };
}

async function datasetParameter(db: DatabricksClient, opts: RemoteEvalOptions, folder: string): Promise<string> {
  if (!opts.data) return ""; // the notebook reads the bundled dataset deployed beside it
  if (opts.lab.volumePath && (opts.engine === "spark" || statSync(opts.data).size > MAX_INLINE_PARAM_BYTES)) {
    return uploadToVolume(db, opts, opts.lab.volumePath);
  }
  const rows: Record<string, string>[] = [];
  for await (const r of readQaRows(opts.data, opts.columns)) {
    rows.push(rowOf(opts, r));
  }
  const json = JSON.stringify(rows);
  if (Buffer.byteLength(json) <= MAX_INLINE_PARAM_BYTES) return json;
  const jsonl = `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
  const path = `${folder}/datasets/${createHash("sha256").update(jsonl).digest("hex").slice(0, 16)}.jsonl`;
  opts.onTick(`uploading the dataset (${rows.length} rows) to ${path}`);
  await uploadWorkspaceFile(db, path, jsonl);
  return `/Workspace${path}`;
}

export async function evaluateOnDatabricks(opts: RemoteEvalOptions): Promise<RemoteEvalResult> {
  const { lab } = opts;
  if (!lab.clusterId || !lab.notebookPath) {
    throw new RemoteEvalError("the lab's cluster or notebook is not deployed: run `evallab up` first");
  }
  const db = DatabricksClient.fromEnv(opts.env, lab.workspaceUrl);
  await waitForCluster(db, lab.clusterId, { start: true, onTick: opts.onTick, pollMs: opts.pollMs });
  const folder = folderOf(lab.notebookPath);
  const token = randomUUID();
  const progressPath = lab.volumePath ? `${lab.volumePath}/runs/${token}/progress.json` : undefined;
  const parameters = {
    dataset: await datasetParameter(db, opts, folder),
    inputs_column: opts.columns.inputs,
    targets_column: opts.columns.targets ?? (opts.data ? "" : "ground_truth"),
    experiment: lab.experimentId ?? "",
    table_dir: lab.volumePath ? `${lab.volumePath}/results` : `/Workspace${folder}/results`,
    engine: opts.engine ?? "auto",
    ...(opts.columns.predictions ? { predictions_column: opts.columns.predictions } : {}),
    ...(progressPath ? { progress_path: progressPath } : {}),
    ...(opts.judge?.scorers.length
      ? { scorers: opts.judge.scorers.join(","), guidelines: JSON.stringify(opts.judge.guidelines), judge_deployment: opts.judge.deployment ?? "" }
      : {}),
  };
  // One token per invocation: retries of this submit return the same run, a new invocation runs anew.
  const runId = await submitNotebookRun(db, {
    clusterId: lab.clusterId,
    notebookPath: lab.notebookPath,
    parameters,
    idempotencyToken: token,
    runName: "evallab qa evaluation",
  });
  const started = Date.now();
  // The Spark path writes rows answered and scored to the volume while it goes.
  let progress = "";
  const poll = async () => {
    try {
      const text = progressPath ? await readIfThere(db, progressPath) : undefined;
      const p = text ? (JSON.parse(text) as { rows: number; answered: number; scored: number; phase: string }) : undefined;
      if (p) progress = ` · ${p.phase}: answered ${p.answered}/${p.rows}, scored ${p.scored}/${p.rows}`;
    } catch {
      // Progress is a courtesy: a failed or partial read waits for the next tick.
    }
  };
  const result = await waitForRun(db, runId, {
    pollMs: opts.pollMs,
    onTick: (state) => {
      void poll();
      opts.onTick(`run ${runId} ${state} · ${Math.round((Date.now() - started) / 1000)}s${progress}`);
    },
  });
  if (!result.succeeded) {
    const trace = (result.output.error_trace ?? "").trim().split("\n").slice(-8).join("\n");
    throw new RemoteEvalError(
      `the notebook run failed (${result.info.state.result_state ?? result.info.state.life_cycle_state}): ` +
        `${result.output.error ?? result.info.state.state_message ?? "no message"}` +
        `${trace ? `\n${trace}` : ""}\nrun page: ${result.info.run_page_url ?? "?"}`,
    );
  }
  let exit: {
    run_id: string;
    experiment_id: string;
    metrics: Record<string, number>;
    table?: { columns: string[]; data: unknown[][] };
    table_path?: string;
    /** The Spark path: the table as JSON lines on the volume, and its columns. */
    table_jsonl_path?: string;
    table_columns?: string[];
  };
  try {
    exit = JSON.parse(result.output.notebook_output?.result ?? "");
  } catch {
    throw new RemoteEvalError(`the notebook did not return its results (truncated or empty exit value); run page: ${result.info.run_page_url ?? "?"}`);
  }
  mkdirSync(opts.outDir, { recursive: true });
  let rows: number;
  if (exit.table_jsonl_path && exit.table_columns) {
    // Streamed home row by row into the table file: constant memory whatever the size.
    opts.onTick(`downloading the table from ${exit.table_jsonl_path}`);
    const writer = new TableWriter(join(opts.outDir, TABLE_FILE), exit.table_columns);
    rows = 0;
    try {
      for await (const line of downloadLines(db, exit.table_jsonl_path)) {
        writer.add(JSON.parse(line));
        rows++;
      }
    } finally {
      writer.close();
    }
  } else {
    const table = exit.table ?? JSON.parse(await downloadWorkspaceFile(db, (exit.table_path ?? "").replace(/^\/Workspace/, "")));
    writeJson(join(opts.outDir, TABLE_FILE), table);
    rows = table.data.length;
  }
  writeJson(join(opts.outDir, METRICS_FILE), exit.metrics);
  return {
    runId: exit.run_id,
    runUrl: `${lab.workspaceUrl}/ml/experiments/${exit.experiment_id}/runs/${exit.run_id}`,
    jobRunUrl: result.info.run_page_url,
    metrics: exit.metrics,
    rows,
  };
}
