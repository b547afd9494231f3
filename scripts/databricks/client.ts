// A thin Databricks REST client (Azure Databricks) over the shared transport: unified auth
// (DATABRICKS_HOST / DATABRICKS_TOKEN, else a Microsoft Entra token for the Azure Databricks resource),
// Databricks error bodies ({"error_code", "message"}), retries on 429 / 503 with Retry-After.
// https://docs.databricks.com/api/workspace/introduction (rate limits, error codes)
import type { z } from "zod";
import { type TokenSource, tokenSource } from "../azure/credentials.ts";
import { ServiceError, Transport, timeoutFromEnv } from "../http/transport.ts";

/** Azure Databricks' first-party application id: the scope for Entra tokens. */
export const AZURE_DATABRICKS_SCOPE = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default";

export interface DatabricksOptions {
  host: string;
  token: () => Promise<string>;
  sleep?: (ms: number) => Promise<void>;
  maxAttempts?: number;
  timeoutMs?: number;
}

const AUTH_HINT = " (check DATABRICKS_TOKEN, or sign in with `az login`)";

export class DatabricksClient {
  readonly host: string;
  readonly http: Transport;

  constructor(readonly opts: DatabricksOptions) {
    this.host = opts.host.replace(/\/+$/, "");
    this.http = new Transport({
      service: "databricks",
      origin: this.host,
      credentials: async () => ({ authorization: `Bearer ${await opts.token()}` }),
      retryable: (s) => s === 429 || s === 503,
      errorShape: "databricks",
      sleep: opts.sleep,
      maxAttempts: opts.maxAttempts,
      timeoutMs: opts.timeoutMs,
    });
  }

  /** Host from the argument (the lab's workspace URL) or DATABRICKS_HOST; token from DATABRICKS_TOKEN or Entra ID. */
  static fromEnv(env: NodeJS.ProcessEnv, host?: string, tokens: TokenSource = tokenSource(env)): DatabricksClient {
    const h = host ?? env.DATABRICKS_HOST;
    if (!h) throw new ServiceError("databricks", 0, "NO_HOST", "No Databricks workspace: deploy the lab (`evallab up`) or set DATABRICKS_HOST");
    const pat = env.DATABRICKS_TOKEN;
    return new DatabricksClient({
      host: h.startsWith("http") ? h : `https://${h}`,
      token: pat ? async () => pat : () => tokens(AZURE_DATABRICKS_SCOPE),
      timeoutMs: timeoutFromEnv(env),
    });
  }

  async call<S extends z.ZodType>(
    method: "GET" | "POST",
    path: string,
    schema: S,
    body?: Record<string, unknown>,
    query?: Record<string, string>,
  ): Promise<z.infer<S>> {
    const url = new URL(`${this.host}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    // A POST carrying Databricks' idempotency_token runs once however often it is sent.
    const reply = await this.http.send(method, url, { body, repeatable: typeof body?.idempotency_token === "string" });
    const hint = reply.status === 401 || reply.status === 403 ? AUTH_HINT : "";
    return this.http.parse(reply, schema, `${method} ${path}`, hint);
  }

  get<S extends z.ZodType>(path: string, schema: S, query?: Record<string, string>) {
    return this.call("GET", path, schema, undefined, query);
  }

  post<S extends z.ZodType>(path: string, body: Record<string, unknown>, schema: S) {
    return this.call("POST", path, schema, body);
  }
}
