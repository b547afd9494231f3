// A thin MLflow tracking REST client (api/2.0/mlflow): any tracking server over http(s), or a
// Databricks workspace's MLflow. MLflow error bodies are {"error_code", "message"}.
import { errorBody } from "../error-body.ts";

export class MlflowError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "MlflowError";
  }
}

export interface MlflowTarget {
  /** Base URL: the tracking server, or the Databricks workspace. */
  host: string;
  headers: () => Promise<Record<string, string>>;
  kind: "server" | "databricks";
}

/** MLFLOW_TRACKING_URI (http/https) with MLflow's own auth variables, or undefined when not set. */
export function trackingServerFromEnv(env: NodeJS.ProcessEnv): MlflowTarget | undefined {
  const uri = env.MLFLOW_TRACKING_URI;
  if (!uri || uri === "databricks") return undefined;
  if (!/^https?:\/\//.test(uri)) {
    throw new MlflowError(0, "UNSUPPORTED_URI", `MLFLOW_TRACKING_URI "${uri}" is not an http(s) tracking server; evallab logs over MLflow's REST API`);
  }
  const headers: Record<string, string> = {};
  if (env.MLFLOW_TRACKING_TOKEN) headers.authorization = `Bearer ${env.MLFLOW_TRACKING_TOKEN}`;
  else if (env.MLFLOW_TRACKING_USERNAME) {
    headers.authorization = `Basic ${Buffer.from(`${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD ?? ""}`).toString("base64")}`;
  }
  return { host: uri.replace(/\/+$/, ""), headers: async () => headers, kind: "server" };
}

export class MlflowClient {
  constructor(readonly target: MlflowTarget) {}

  async call<T>(method: "GET" | "POST", path: string, body?: unknown, query?: Record<string, string>): Promise<T> {
    const url = new URL(`${this.target.host}/api/2.0/mlflow/${path}`);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: { ...(await this.target.headers()), ...(body !== undefined ? { "content-type": "application/json" } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (e) {
      throw new MlflowError(0, "CONNECTION_FAILED", `cannot reach MLflow at ${this.target.host} (${(e as Error).message})`);
    }
    const text = await res.text();
    if (!res.ok) {
      const { code, message } = errorBody(res.status, text, "databricks");
      throw new MlflowError(res.status, code, `${method} ${path}: ${code}: ${message}`);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** The experiment's id, creating it when it does not exist. */
  async experimentId(name: string): Promise<string> {
    try {
      const r = await this.call<{ experiment: { experiment_id: string } }>("GET", "experiments/get-by-name", undefined, { experiment_name: name });
      return r.experiment.experiment_id;
    } catch (e) {
      if (!(e instanceof MlflowError) || e.code !== "RESOURCE_DOES_NOT_EXIST") throw e;
      return (await this.call<{ experiment_id: string }>("POST", "experiments/create", { name })).experiment_id;
    }
  }

  /** PUT one artifact file: proxied (mlflow-artifacts:/) on a server, a signed URL on Databricks. */
  async uploadArtifact(runId: string, artifactUri: string, name: string, content: Buffer): Promise<void> {
    if (this.target.kind === "databricks") {
      const r = await this.call<{ credential_infos: { signed_uri: string; headers?: { name: string; value: string }[] }[] }>(
        "POST",
        "artifacts/credentials-for-write",
        { run_id: runId, path: [name] },
      );
      const cred = r.credential_infos[0];
      const headers: Record<string, string> = { "x-ms-blob-type": "BlockBlob" };
      for (const h of cred.headers ?? []) headers[h.name] = h.value;
      const put = await fetch(cred.signed_uri, { method: "PUT", headers, body: content });
      if (!put.ok) throw new MlflowError(put.status, "ARTIFACT_UPLOAD_FAILED", `uploading ${name}: HTTP ${put.status}`);
      return;
    }
    const m = /^mlflow-artifacts:(?:\/\/[^/]+)?\/(.*)$/.exec(artifactUri);
    if (!m) {
      throw new MlflowError(
        0,
        "UNSUPPORTED_ARTIFACT_STORE",
        `the server stores artifacts at ${artifactUri}; start it with artifact serving (mlflow server --serve-artifacts)`,
      );
    }
    const url = `${this.target.host}/api/2.0/mlflow-artifacts/artifacts/${m[1].replace(/\/+$/, "")}/${encodeURIComponent(name)}`;
    const put = await fetch(url, { method: "PUT", headers: await this.target.headers(), body: content });
    if (!put.ok) throw new MlflowError(put.status, "ARTIFACT_UPLOAD_FAILED", `uploading ${name}: HTTP ${put.status} ${(await put.text()).slice(0, 200)}`);
  }
}
