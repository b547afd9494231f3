// A thin Azure Resource Manager REST client: api-version per call, nextLink paging, ARM error bodies,
// Retry-After on 429/5xx, and long-running operations (202 + Location / Azure-AsyncOperation).
import { errorBody } from "../error-body.ts";
import { ARM_SCOPE, armEndpoint, type TokenSource, tokenSource } from "./credentials.ts";

export class ArmError extends Error {
  /** Refused credentials are a setup problem (sign in); anything else ARM answered is a failure. */
  get exitCode(): number {
    return this.status === 401 || this.status === 403 ? 2 : 1;
  }
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ArmError";
  }
}

export interface ArmOptions {
  endpoint: string;
  token: TokenSource;
  sleep?: (ms: number) => Promise<void>;
  /** Poll interval when a long-running operation gives no Retry-After. */
  pollMs?: number;
  maxAttempts?: number;
}

const sleepReal = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ArmClient {
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(readonly opts: ArmOptions) {
    this.sleep = opts.sleep ?? sleepReal;
  }

  static fromEnv(env: NodeJS.ProcessEnv): ArmClient {
    return new ArmClient({ endpoint: armEndpoint(env), token: tokenSource(env), pollMs: Number(env.LAB_ARM_POLL_MS) || undefined });
  }

  url(path: string, apiVersion: string, query: Record<string, string> = {}): string {
    const u = new URL(path.startsWith("http") ? path : `${this.opts.endpoint}${path}`);
    if (!u.searchParams.has("api-version")) u.searchParams.set("api-version", apiVersion);
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    return u.toString();
  }

  /** One request with retries on throttling and transient server errors. */
  async request(method: string, url: string, body?: unknown): Promise<Response> {
    const max = this.opts.maxAttempts ?? 5;
    for (let attempt = 1; ; attempt++) {
      const token = await this.opts.token(ARM_SCOPE);
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (e) {
        if (attempt >= max) throw new ArmError(0, "ConnectionFailed", `cannot reach ${new URL(url).origin} (${(e as Error).message})`);
        await this.sleep(500 * attempt);
        continue;
      }
      if ((res.status === 429 || res.status >= 500) && attempt < max) {
        const ra = Number(res.headers.get("retry-after"));
        await this.sleep(Number.isFinite(ra) && ra > 0 ? ra * 1000 : 500 * 2 ** attempt);
        continue;
      }
      return res;
    }
  }

  private async parse<T>(res: Response, what: string): Promise<T> {
    const text = await res.text();
    if (!res.ok) {
      const { code, message } = errorBody(res.status, text, "arm");
      throw new ArmError(res.status, code, `${what}: ${code}: ${message}`);
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  async get<T>(path: string, apiVersion: string, query?: Record<string, string>): Promise<T> {
    const url = this.url(path, apiVersion, query);
    return this.parse<T>(await this.request("GET", url), `GET ${new URL(url).pathname}`);
  }

  /** GET that maps 404 to undefined (for "is it gone?" checks). */
  async find<T>(path: string, apiVersion: string): Promise<T | undefined> {
    const url = this.url(path, apiVersion);
    const res = await this.request("GET", url);
    if (res.status === 404) {
      await res.text();
      return undefined;
    }
    return this.parse<T>(res, `GET ${new URL(url).pathname}`);
  }

  /** Every item of a paged list, following nextLink. */
  async list<T>(path: string, apiVersion: string, query?: Record<string, string>): Promise<T[]> {
    const items: T[] = [];
    let url: string | undefined = this.url(path, apiVersion, query);
    while (url) {
      const page: { value?: T[]; nextLink?: string } = await this.parse(await this.request("GET", url), `GET ${new URL(url).pathname}`);
      items.push(...(page.value ?? []));
      url = page.nextLink || undefined;
    }
    return items;
  }

  async post<T>(path: string, apiVersion: string, body?: unknown): Promise<T> {
    const url = this.url(path, apiVersion);
    return this.parse<T>(await this.request("POST", url, body), `POST ${new URL(url).pathname}`);
  }

  async patch<T>(path: string, apiVersion: string, body: unknown): Promise<T> {
    const url = this.url(path, apiVersion);
    return this.parse<T>(await this.request("PATCH", url, body), `PATCH ${new URL(url).pathname}`);
  }

  /** DELETE and wait for the long-running operation; 404 counts as already gone. */
  async delete(path: string, apiVersion: string, opts: { wait?: boolean; timeoutMs?: number } = {}): Promise<"deleted" | "absent"> {
    const url = this.url(path, apiVersion);
    const res = await this.request("DELETE", url);
    if (res.status === 404 || res.status === 204) {
      await res.text();
      return res.status === 404 ? "absent" : "deleted";
    }
    if (res.status === 202 && opts.wait !== false) {
      await res.text();
      await this.poll(res, opts.timeoutMs ?? 30 * 60_000);
      return "deleted";
    }
    await this.parse(res, `DELETE ${new URL(url).pathname}`);
    return "deleted";
  }

  private async poll(first: Response, timeoutMs: number): Promise<void> {
    const asyncOp = first.headers.get("azure-asyncoperation");
    const location = first.headers.get("location");
    const target = asyncOp ?? location;
    if (!target) return;
    const deadline = Date.now() + timeoutMs;
    let retryAfter = Number(first.headers.get("retry-after"));
    while (Date.now() < deadline) {
      await this.sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : (this.opts.pollMs ?? 10_000));
      const res = await this.request("GET", target);
      retryAfter = Number(res.headers.get("retry-after"));
      if (asyncOp) {
        const body = (await this.parse<{ status?: string; error?: { code?: string; message?: string } }>(res, "operation")) ?? {};
        if (body.status === "Succeeded") return;
        if (body.status === "Failed" || body.status === "Canceled") {
          throw new ArmError(200, body.error?.code ?? "OperationFailed", body.error?.message ?? `operation ${body.status}`);
        }
      } else {
        if (res.status === 200 || res.status === 204) return;
        if (res.status !== 202) await this.parse(res, "operation");
        await res.text().catch(() => {});
      }
    }
    throw new ArmError(0, "Timeout", `operation did not finish within ${Math.round(timeoutMs / 60000)} minutes`);
  }
}
