// One-time notebook runs through the Jobs API 2.2: submit (with an idempotency token, so a retried
// submit never runs twice), poll, and fetch the notebook's exit value or its error.
import { z } from "zod";
import type { DatabricksClient } from "./client.ts";

const runState = z.looseObject({ life_cycle_state: z.string(), result_state: z.string().optional(), state_message: z.string().optional() });
export type RunState = z.infer<typeof runState>;

const runInfo = z.looseObject({
  run_id: z.number(),
  state: runState,
  run_page_url: z.string().optional(),
  tasks: z.array(z.looseObject({ run_id: z.number(), task_key: z.string(), state: runState })).optional(),
});
export type RunInfo = z.infer<typeof runInfo>;

const runOutput = z.looseObject({
  notebook_output: z.looseObject({ result: z.string().optional(), truncated: z.boolean().optional() }).optional(),
  error: z.string().optional(),
  error_trace: z.string().optional(),
});
export type RunOutput = z.infer<typeof runOutput>;

export interface NotebookRun {
  clusterId: string;
  notebookPath: string;
  parameters: Record<string, string>;
  idempotencyToken: string;
  runName: string;
}

export const TASK_KEY = "qa_evaluation";

export async function submitNotebookRun(db: DatabricksClient, run: NotebookRun): Promise<number> {
  const r = await db.post(
    "/api/2.2/jobs/runs/submit",
    {
      run_name: run.runName,
      idempotency_token: run.idempotencyToken,
      tasks: [
        {
          task_key: TASK_KEY,
          existing_cluster_id: run.clusterId,
          notebook_task: { notebook_path: run.notebookPath, source: "WORKSPACE", base_parameters: run.parameters },
        },
      ],
    },
    z.object({ run_id: z.number() }),
  );
  return r.run_id;
}

export const getRun = (db: DatabricksClient, runId: number) => db.get("/api/2.2/jobs/runs/get", runInfo, { run_id: String(runId) });
export const getRunOutput = (db: DatabricksClient, taskRunId: number) => db.get("/api/2.2/jobs/runs/get-output", runOutput, { run_id: String(taskRunId) });

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
