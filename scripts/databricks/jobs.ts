// One-time notebook runs through the Jobs API 2.2: submit (with an idempotency token, so a retried
// submit never runs twice), poll, and fetch the notebook's exit value or its error.
import type { DatabricksClient } from "./client.ts";

export interface RunState {
  life_cycle_state: string;
  result_state?: string;
  state_message?: string;
}

export interface RunInfo {
  run_id: number;
  state: RunState;
  run_page_url?: string;
  tasks?: { run_id: number; task_key: string; state: RunState }[];
}

export interface RunOutput {
  notebook_output?: { result?: string; truncated?: boolean };
  error?: string;
  error_trace?: string;
}

export interface NotebookRun {
  clusterId: string;
  notebookPath: string;
  parameters: Record<string, string>;
  idempotencyToken: string;
  runName: string;
}

export const TASK_KEY = "qa_evaluation";

export async function submitNotebookRun(db: DatabricksClient, run: NotebookRun): Promise<number> {
  const r = await db.post<{ run_id: number }>("/api/2.2/jobs/runs/submit", {
    run_name: run.runName,
    idempotency_token: run.idempotencyToken,
    tasks: [
      {
        task_key: TASK_KEY,
        existing_cluster_id: run.clusterId,
        notebook_task: { notebook_path: run.notebookPath, source: "WORKSPACE", base_parameters: run.parameters },
      },
    ],
  });
  return r.run_id;
}

export const getRun = (db: DatabricksClient, runId: number) => db.get<RunInfo>("/api/2.2/jobs/runs/get", { run_id: String(runId) });
export const getRunOutput = (db: DatabricksClient, taskRunId: number) => db.get<RunOutput>("/api/2.2/jobs/runs/get-output", { run_id: String(taskRunId) });

const FINAL = new Set(["TERMINATED", "SKIPPED", "INTERNAL_ERROR"]);

export interface RunResult {
  info: RunInfo;
  output: RunOutput;
  succeeded: boolean;
}

/** Poll until the run ends; report state and elapsed time on each poll. */
export async function waitForRun(
  db: DatabricksClient,
  runId: number,
  opts: { pollMs?: number; onTick?: (state: string) => void; sleep?: (ms: number) => Promise<void> } = {},
): Promise<RunResult> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (;;) {
    const info = await getRun(db, runId);
    opts.onTick?.(`${info.state.life_cycle_state}${info.state.state_message ? `: ${info.state.state_message}` : ""}`);
    if (FINAL.has(info.state.life_cycle_state)) {
      const task = info.tasks?.find((t) => t.task_key === TASK_KEY) ?? info.tasks?.[0];
      const output = await getRunOutput(db, task?.run_id ?? runId);
      return { info, output, succeeded: info.state.result_state === "SUCCESS" };
    }
    await sleep(opts.pollMs ?? 5000);
  }
}
