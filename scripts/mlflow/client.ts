// A thin MLflow tracking REST client (api/2.0/mlflow) over the shared transport: any tracking server over
// http(s), or a Databricks workspace's MLflow. MLflow error bodies are {"error_code", "message"}.
// https://mlflow.org/docs/latest/api_reference/rest-api.html
import { z } from "zod";
import { ServiceError, Transport, timeoutFromEnv } from "../http/transport.ts";

export interface MlflowTarget {
  /** Base URL: the tracking server, or the Databricks workspace. */
  host: string;
  headers: () => Promise<Record<string, string>>;
  kind: "server" | "databricks";
  timeoutMs?: number;
}

/** The statuses MLflow's own client retries (mlflow.utils.rest_utils). */
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/** MLFLOW_TRACKING_URI (http/https) with MLflow's own auth variables, or undefined when not set. */
export function trackingServerFromEnv(env: NodeJS.ProcessEnv): MlflowTarget | undefined {
  const uri = env.MLFLOW_TRACKING_URI;
  if (!uri || uri === "databricks") return undefined;
  if (!/^https?:\/\//.test(uri)) {
    throw new ServiceError(
      "mlflow",
      0,
      "UNSUPPORTED_URI",
      `MLFLOW_TRACKING_URI "${uri}" is not an http(s) tracking server; evallab logs over MLflow's REST API`,
    );
  }
  const headers: Record<string, string> = {};
  if (env.MLFLOW_TRACKING_TOKEN) headers.authorization = `Bearer ${env.MLFLOW_TRACKING_TOKEN}`;
  else if (env.MLFLOW_TRACKING_USERNAME) {
    headers.authorization = `Basic ${Buffer.from(`${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD ?? ""}`).toString("base64")}`;
  }
  return { host: uri.replace(/\/+$/, ""), headers: async () => headers, kind: "server", timeoutMs: timeoutFromEnv(env) };
}

const writeCredentials = z.object({
  credential_infos: z.array(z.object({ signed_uri: z.string(), headers: z.array(z.object({ name: z.string(), value: z.string() })).optional() })).min(1),
});

export class MlflowClient {
  readonly http: Transport;

  constructor(readonly target: MlflowTarget) {
    this.http = new Transport({
      service: "mlflow",
      origin: target.host,
      credentials: target.headers,
      retryable: (s) => RETRYABLE.has(s),
      errorShape: "databricks",
      timeoutMs: target.timeoutMs,
    });
  }

  async call<S extends z.ZodType>(method: "GET" | "POST", path: string, schema: S, body?: unknown, query?: Record<string, string>): Promise<z.infer<S>> {
    const url = new URL(`${this.target.host}/api/2.0/mlflow/${path}`);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    return this.http.parse(await this.http.send(method, url, { body }), schema, `${method} ${path}`);
  }

  /** The experiment's id, creating it when it does not exist. */
  async experimentId(name: string): Promise<string> {
    try {
      const r = await this.call("GET", "experiments/get-by-name", z.object({ experiment: z.object({ experiment_id: z.string() }) }), undefined, {
        experiment_name: name,
      });
      return r.experiment.experiment_id;
    } catch (e) {
      if (!(e instanceof ServiceError) || e.code !== "RESOURCE_DOES_NOT_EXIST") throw e;
      return (await this.call("POST", "experiments/create", z.object({ experiment_id: z.string() }), { name })).experiment_id;
    }
  }

  /** PUT one artifact file: proxied (mlflow-artifacts:/) on a server, a signed URL on Databricks. */
  async uploadArtifact(runId: string, artifactUri: string, name: string, content: Buffer): Promise<void> {
    if (this.target.kind === "databricks") {
      const r = await this.call("POST", "artifacts/credentials-for-write", writeCredentials, { run_id: runId, path: [name] });
      const cred = r.credential_infos[0];
      const headers: Record<string, string> = { "x-ms-blob-type": "BlockBlob" };
      for (const h of cred.headers ?? []) headers[h.name] = h.value;
      // A pre-signed URL on storage: it carries its own authorization, never the workspace's token.
      const put = await this.http.send("PUT", cred.signed_uri, { bytes: content, headers, anonymous: true });
      this.http.ok(put, `uploading ${name}`);
      return;
    }
    const m = /^mlflow-artifacts:(?:\/\/[^/]+)?\/(.*)$/.exec(artifactUri);
    if (!m) {
      throw new ServiceError(
        "mlflow",
        0,
        "UNSUPPORTED_ARTIFACT_STORE",
        `the server stores artifacts at ${artifactUri}; start it with artifact serving (mlflow server --serve-artifacts)`,
      );
    }
    const url = `${this.target.host}/api/2.0/mlflow-artifacts/artifacts/${m[1].replace(/\/+$/, "")}/${encodeURIComponent(name)}`;
    this.http.ok(await this.http.send("PUT", url, { bytes: content }), `uploading ${name}`);
  }
}
