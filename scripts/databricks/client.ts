// A thin Databricks REST client (Azure Databricks): unified auth (DATABRICKS_HOST / DATABRICKS_TOKEN,
// else a Microsoft Entra token for the Azure Databricks resource), Databricks error bodies, and
// retries on 429 / 503 with Retry-After.
import { type TokenSource, tokenSource } from "../azure/credentials.ts";
import { errorBody } from "../error-body.ts";

/** Azure Databricks' first-party application id: the scope for Entra tokens. */
export const AZURE_DATABRICKS_SCOPE = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default";

export class DatabricksError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "DatabricksError";
  }
}

export interface DatabricksOptions {
  host: string;
  token: () => Promise<string>;
  sleep?: (ms: number) => Promise<void>;
  maxAttempts?: number;
}

const sleepReal = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class DatabricksClient {
  readonly host: string;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(readonly opts: DatabricksOptions) {
    this.host = opts.host.replace(/\/+$/, "");
    this.sleep = opts.sleep ?? sleepReal;
  }

  /** Host from the argument (the lab's workspace URL) or DATABRICKS_HOST; token from DATABRICKS_TOKEN or Entra ID. */
  static fromEnv(env: NodeJS.ProcessEnv, host?: string, tokens: TokenSource = tokenSource(env)): DatabricksClient {
    const h = host ?? env.DATABRICKS_HOST;
    if (!h) throw new DatabricksError(0, "NO_HOST", "No Databricks workspace: deploy the lab (`evallab up`) or set DATABRICKS_HOST");
    const pat = env.DATABRICKS_TOKEN;
    return new DatabricksClient({ host: h.startsWith("http") ? h : `https://${h}`, token: pat ? async () => pat : () => tokens(AZURE_DATABRICKS_SCOPE) });
  }

  async call<T>(method: "GET" | "POST", path: string, body?: Record<string, unknown>, query?: Record<string, string>): Promise<T> {
    const url = new URL(`${this.host}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) url.searchParams.set(k, v);
    const max = this.opts.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: { authorization: `Bearer ${await this.opts.token()}`, ...(body ? { "content-type": "application/json" } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
      } catch (e) {
        if (attempt >= max) throw new DatabricksError(0, "CONNECTION_FAILED", `cannot reach ${this.host} (${(e as Error).message})`);
        await this.sleep(500 * 2 ** (attempt - 1));
        continue;
      }
      if ((res.status === 429 || res.status === 503) && attempt < max) {
        await res.text();
        const ra = Number(res.headers.get("retry-after"));
        await this.sleep(Number.isFinite(ra) && ra > 0 ? ra * 1000 : 500 * 2 ** (attempt - 1));
        continue;
      }
      const text = await res.text();
      if (!res.ok) {
        const { code, message } = errorBody(res.status, text, "databricks");
        const hint = res.status === 401 || res.status === 403 ? " (check DATABRICKS_TOKEN, or sign in with `az login`)" : "";
        throw new DatabricksError(res.status, code, `${method} ${path}: ${code}: ${message}${hint}`);
      }
      return (text ? JSON.parse(text) : {}) as T;
    }
  }

  get<T>(path: string, query?: Record<string, string>) {
    return this.call<T>("GET", path, undefined, query);
  }

  post<T>(path: string, body: Record<string, unknown>) {
    return this.call<T>("POST", path, body);
  }
}
