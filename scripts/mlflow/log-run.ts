// Logs a finished local evaluation as one MLflow run: params, every metric, tags, the per-row table as
// the `eval_results_table.json` artifact, then FINISHED. Batched to MLflow's log-batch limits.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { METRICS_FILE, TABLE_FILE } from "../../eval/report.ts";
import { anyObject } from "../http/transport.ts";
import type { MlflowClient } from "./client.ts";

/** MLflow's per-request limits for runs/log-batch. */
export const LIMITS = { metrics: 1000, params: 100, tags: 100, paramValue: 6000 };

export interface LogRequest {
  experimentId: string;
  runName: string;
  outDir: string;
  params: Record<string, string>;
  tags?: Record<string, string>;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Create the run, log everything, finish it; returns the run id. A failure marks the run FAILED. */
export async function logEvaluation(client: MlflowClient, req: LogRequest): Promise<{ runId: string; experimentId: string }> {
  const metrics = JSON.parse(readFileSync(join(req.outDir, METRICS_FILE), "utf8")) as Record<string, number>;
  const now = Date.now();
  const tags = { "mlflow.source.name": "evallab", "mlflow.source.type": "LOCAL", "evallab.model_type": "question-answering", ...req.tags };
  const { run } = await client.call("POST", "runs/create", z.object({ run: z.object({ info: z.object({ run_id: z.string(), artifact_uri: z.string() }) }) }), {
    experiment_id: req.experimentId,
    run_name: req.runName,
    start_time: now,
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
  });
  const runId = run.info.run_id;
  try {
    const metricList = Object.entries(metrics)
      .filter(([, v]) => Number.isFinite(v))
      .map(([key, value]) => ({ key, value, timestamp: now, step: 0 }));
    const paramList = Object.entries(req.params).map(([key, value]) => ({ key, value: value.slice(0, LIMITS.paramValue) }));
    for (const batch of chunks(metricList, LIMITS.metrics)) await client.call("POST", "runs/log-batch", anyObject, { run_id: runId, metrics: batch });
    for (const batch of chunks(paramList, LIMITS.params)) await client.call("POST", "runs/log-batch", anyObject, { run_id: runId, params: batch });
    await client.uploadArtifact(runId, run.info.artifact_uri, TABLE_FILE, readFileSync(join(req.outDir, TABLE_FILE)));
    await client.call("POST", "runs/update", anyObject, { run_id: runId, status: "FINISHED", end_time: Date.now() });
  } catch (e) {
    await client.call("POST", "runs/update", anyObject, { run_id: runId, status: "FAILED", end_time: Date.now() }).catch(() => {});
    throw e;
  }
  return { runId, experimentId: req.experimentId };
}
