// The lab's own evaluation on Databricks: start the cluster if needed, run the deployed notebook once
// (Jobs 2.2), and bring its metrics and per-row table home in the local engine's files.
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Columns, readQaRows } from "../../eval/data/readers.ts";
import { METRICS_FILE, TABLE_FILE, writeJson } from "../../eval/report.ts";
import type { LabOutputs } from "../lab-state.ts";
import { DatabricksClient } from "./client.ts";
import { waitForCluster } from "./cluster.ts";
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

async function datasetParameter(db: DatabricksClient, opts: RemoteEvalOptions, folder: string): Promise<string> {
  if (!opts.data) return ""; // the notebook reads the bundled dataset deployed beside it
  const rows: Record<string, string>[] = [];
  for await (const r of readQaRows(opts.data, opts.columns)) {
    rows.push({ [opts.columns.inputs]: r.input, ...(opts.columns.targets ? { [opts.columns.targets]: r.target ?? "" } : {}) });
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
  const parameters = {
    dataset: await datasetParameter(db, opts, folder),
    inputs_column: opts.columns.inputs,
    targets_column: opts.columns.targets ?? (opts.data ? "" : "ground_truth"),
    experiment: lab.experimentId ?? "",
    table_dir: `/Workspace${folder}/results`,
    ...(opts.judge?.scorers.length
      ? { scorers: opts.judge.scorers.join(","), guidelines: JSON.stringify(opts.judge.guidelines), judge_deployment: opts.judge.deployment ?? "" }
      : {}),
  };
  // One token per invocation: retries of this submit return the same run, a new invocation runs anew.
  const runId = await submitNotebookRun(db, {
    clusterId: lab.clusterId,
    notebookPath: lab.notebookPath,
    parameters,
    idempotencyToken: randomUUID(),
    runName: "evallab qa evaluation",
  });
  const started = Date.now();
  const result = await waitForRun(db, runId, {
    pollMs: opts.pollMs,
    onTick: (state) => opts.onTick(`run ${runId} ${state} · ${Math.round((Date.now() - started) / 1000)}s`),
  });
  if (!result.succeeded) {
    const trace = (result.output.error_trace ?? "").trim().split("\n").slice(-8).join("\n");
    throw new RemoteEvalError(
      `the notebook run failed (${result.info.state.result_state ?? result.info.state.life_cycle_state}): ` +
        `${result.output.error ?? result.info.state.state_message ?? "no message"}` +
        `${trace ? `\n${trace}` : ""}\nrun page: ${result.info.run_page_url ?? "?"}`,
    );
  }
  let exit: { run_id: string; experiment_id: string; metrics: Record<string, number>; table?: { columns: string[]; data: unknown[][] }; table_path?: string };
  try {
    exit = JSON.parse(result.output.notebook_output?.result ?? "");
  } catch {
    throw new RemoteEvalError(`the notebook did not return its results (truncated or empty exit value); run page: ${result.info.run_page_url ?? "?"}`);
  }
  const table = exit.table ?? JSON.parse(await downloadWorkspaceFile(db, (exit.table_path ?? "").replace(/^\/Workspace/, "")));
  mkdirSync(opts.outDir, { recursive: true });
  writeJson(join(opts.outDir, METRICS_FILE), exit.metrics);
  writeJson(join(opts.outDir, TABLE_FILE), table);
  return {
    runId: exit.run_id,
    runUrl: `${lab.workspaceUrl}/ml/experiments/${exit.experiment_id}/runs/${exit.run_id}`,
    jobRunUrl: result.info.run_page_url,
    metrics: exit.metrics,
    rows: table.data.length,
  };
}
