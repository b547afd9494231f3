// The MLflow REST API of the fake Databricks workspace: runs/create, log-batch (with MLflow's
// per-request limits enforced), runs/update, and artifacts/credentials-for-write returning a signed
// URL (an Azure-blob-like PUT on the fake itself that requires x-ms-blob-type: BlockBlob).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FakeDatabricks } from "./databricks.ts";
import { sendJson } from "./http.ts";

export interface FakeMlflowRun {
  runId: string;
  experimentId: string;
  status: string;
  metrics: Record<string, number>;
  params: Record<string, string>;
  tags: Record<string, string>;
  artifacts: Record<string, Buffer>;
}

export function installMlflow(fake: FakeDatabricks, experiments: string[]) {
  const runs = new Map<string, FakeMlflowRun>();
  const batches: { metrics: number; params: number; tags: number }[] = [];
  let seq = 0;
  const err = (res: ServerResponse, status: number, code: string, message: string) => sendJson(res, status, { error_code: code, message });

  fake.routes.push((req: IncomingMessage, res: ServerResponse, body: unknown, url: URL) => {
    const b = body as Record<string, any>;
    const p = url.pathname;
    if (p === "/api/2.0/mlflow/runs/create" && req.method === "POST") {
      if (!experiments.includes(b.experiment_id)) {
        err(res, 404, "RESOURCE_DOES_NOT_EXIST", `Experiment ${b.experiment_id} does not exist`);
        return true;
      }
      const runId = (++seq).toString(16).padStart(32, "0");
      runs.set(runId, {
        runId,
        experimentId: b.experiment_id,
        status: "RUNNING",
        metrics: {},
        params: {},
        tags: Object.fromEntries((b.tags ?? []).map((t: any) => [t.key, t.value])),
        artifacts: {},
      });
      sendJson(res, 200, {
        run: {
          info: {
            run_id: runId,
            experiment_id: b.experiment_id,
            status: "RUNNING",
            artifact_uri: `dbfs:/databricks/mlflow-tracking/${b.experiment_id}/${runId}/artifacts`,
          },
        },
      });
      return true;
    }
    const run = runs.get(b?.run_id);
    if (p.startsWith("/api/2.0/mlflow/runs/") || p.startsWith("/api/2.0/mlflow/artifacts/")) {
      if (!run) {
        err(res, 404, "RESOURCE_DOES_NOT_EXIST", `Run '${b?.run_id}' not found`);
        return true;
      }
    }
    if (p === "/api/2.0/mlflow/runs/log-batch" && req.method === "POST" && run) {
      const m = b.metrics ?? [];
      const ps = b.params ?? [];
      const t = b.tags ?? [];
      if (m.length > 1000 || ps.length > 100 || t.length > 100 || m.length + ps.length + t.length > 1000) {
        err(res, 400, "INVALID_PARAMETER_VALUE", "A batch logging request can contain at most 1000 metrics, 100 params and 100 tags");
        return true;
      }
      batches.push({ metrics: m.length, params: ps.length, tags: t.length });
      for (const x of m) run.metrics[x.key] = x.value;
      for (const x of ps) run.params[x.key] = x.value;
      for (const x of t) run.tags[x.key] = x.value;
      sendJson(res, 200, {});
      return true;
    }
    if (p === "/api/2.0/mlflow/runs/update" && req.method === "POST" && run) {
      run.status = b.status;
      sendJson(res, 200, { run_info: { run_id: run.runId, status: run.status } });
      return true;
    }
    if (p === "/api/2.0/mlflow/artifacts/credentials-for-write" && req.method === "POST" && run) {
      sendJson(res, 200, {
        credential_infos: (b.path as string[]).map((path) => ({
          run_id: run.runId,
          path,
          signed_uri: `${fake.url}/blob/${run.runId}/${encodeURIComponent(path)}?sig=fake-sas`,
          type: "AZURE_SAS_URI",
        })),
      });
      return true;
    }
    return false;
  });
  return { runs, batches };
}

/** The signed-URL "blob store": accepts PUTs outside the workspace's bearer auth, like Azure storage. */
export function blobHandler(runs: Map<string, FakeMlflowRun>) {
  return (req: IncomingMessage, res: ServerResponse, raw: Buffer): boolean => {
    const m = /^\/blob\/([^/]+)\/([^?]+)/.exec(req.url ?? "");
    if (!m) return false;
    if (req.method !== "PUT" || req.headers["x-ms-blob-type"] !== "BlockBlob") {
      res.writeHead(400).end("MissingRequiredHeader x-ms-blob-type");
      return true;
    }
    const run = runs.get(m[1]);
    if (run) run.artifacts[decodeURIComponent(m[2])] = raw;
    res.writeHead(201).end();
    return true;
  };
}
