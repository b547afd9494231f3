// A thin Azure Resource Manager REST client over the shared transport: api-version per call, nextLink
// paging, ARM error bodies, and long-running operations (202 + Azure-AsyncOperation, else Location).
// https://learn.microsoft.com/azure/azure-resource-manager/management/async-operations
import { z } from "zod";
import { type Reply, ServiceError, Transport, timeoutFromEnv } from "../http/transport.ts";
import { ARM_SCOPE, armEndpoint, type TokenSource, tokenSource } from "./credentials.ts";

export interface ArmOptions {
  endpoint: string;
  token: TokenSource;
  sleep?: (ms: number) => Promise<void>;
  /** Poll interval when a long-running operation gives no Retry-After. */
  pollMs?: number;
  maxAttempts?: number;
  timeoutMs?: number;
}

/** ARM's documented transient answers (the Azure SDKs retry the same set). */
const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

const page = <S extends z.ZodType>(item: S) => z.object({ value: z.array(item).optional(), nextLink: z.string().nullish() });
/** An Azure-AsyncOperation status body. */
const operation = z.object({ status: z.string(), error: z.object({ code: z.string().optional(), message: z.string().optional() }).optional() });

export class ArmClient {
  readonly http: Transport;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(readonly opts: ArmOptions) {
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.http = new Transport({
      service: "arm",
      origin: opts.endpoint,
      credentials: async () => ({ authorization: `Bearer ${await opts.token(ARM_SCOPE)}` }),
      retryable: (s) => RETRYABLE.has(s),
      errorShape: "arm",
      sleep: this.sleep,
      maxAttempts: opts.maxAttempts,
      timeoutMs: opts.timeoutMs,
    });
  }

  static fromEnv(env: NodeJS.ProcessEnv): ArmClient {
    return new ArmClient({
      endpoint: armEndpoint(env),
      token: tokenSource(env),
      pollMs: Number(env.LAB_ARM_POLL_MS) || undefined,
      timeoutMs: timeoutFromEnv(env),
    });
  }

  url(path: string, apiVersion: string, query: Record<string, string> = {}): string {
    const u = new URL(path.startsWith("http") ? path : `${this.opts.endpoint}${path}`);
    if (!u.searchParams.has("api-version")) u.searchParams.set("api-version", apiVersion);
    for (const [k, v] of Object.entries(query)) u.searchParams.set(k, v);
    return u.toString();
  }

  private call(method: string, url: string, body?: unknown): Promise<Reply> {
    return this.http.send(method, url, { body });
  }

  async get<S extends z.ZodType>(path: string, apiVersion: string, schema: S, query?: Record<string, string>): Promise<z.infer<S>> {
    const url = this.url(path, apiVersion, query);
    return this.http.parse(await this.call("GET", url), schema, `GET ${new URL(url).pathname}`);
  }

  /** GET that maps 404 to undefined (for "is it gone?" checks). */
  async find<S extends z.ZodType>(path: string, apiVersion: string, schema: S): Promise<z.infer<S> | undefined> {
    const url = this.url(path, apiVersion);
    const reply = await this.call("GET", url);
    return reply.status === 404 ? undefined : this.http.parse(reply, schema, `GET ${new URL(url).pathname}`);
  }

  /** Every item of a paged list, following nextLink (on ARM's own host only). */
  async list<S extends z.ZodType>(path: string, apiVersion: string, item: S, query?: Record<string, string>): Promise<z.infer<S>[]> {
    const items: z.infer<S>[] = [];
    let url: string | undefined = this.url(path, apiVersion, query);
    while (url) {
      const p: { value?: z.infer<S>[]; nextLink?: string | null } = this.http.parse(await this.call("GET", url), page(item), `GET ${new URL(url).pathname}`);
      items.push(...(p.value ?? []));
      url = p.nextLink || undefined;
    }
    return items;
  }

  async post<S extends z.ZodType>(path: string, apiVersion: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    const url = this.url(path, apiVersion);
    return this.http.parse(await this.call("POST", url, body), schema, `POST ${new URL(url).pathname}`);
  }

  async patch(path: string, apiVersion: string, body: unknown): Promise<void> {
    const url = this.url(path, apiVersion);
    this.http.ok(await this.call("PATCH", url, body), `PATCH ${new URL(url).pathname}`);
  }

  /** DELETE and wait for the long-running operation; 404 counts as already gone. */
  async delete(path: string, apiVersion: string, opts: { wait?: boolean; timeoutMs?: number } = {}): Promise<"deleted" | "absent"> {
    const url = this.url(path, apiVersion);
    const reply = await this.call("DELETE", url);
    if (reply.status === 404) return "absent";
    this.http.ok(reply, `DELETE ${new URL(url).pathname}`);
    if (reply.status === 202 && opts.wait !== false) await this.poll(reply, opts.timeoutMs ?? 30 * 60_000);
    return "deleted";
  }

  /** Azure-AsyncOperation (a status body) takes precedence over Location (202 until done), as ARM documents. */
  private async poll(first: Reply, timeoutMs: number): Promise<void> {
    const asyncOp = first.headers.get("azure-asyncoperation");
    const target = asyncOp ?? first.headers.get("location");
    if (!target) return;
    const deadline = Date.now() + timeoutMs;
    let retryAfter = Number(first.headers.get("retry-after"));
    while (Date.now() < deadline) {
      await this.sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : (this.opts.pollMs ?? 10_000));
      const reply = await this.call("GET", target);
      retryAfter = Number(reply.headers.get("retry-after"));
      if (asyncOp) {
        const op = this.http.parse(reply, operation, "operation");
        if (op.status === "Succeeded") return;
        if (op.status === "Failed" || op.status === "Canceled") {
          throw new ServiceError("arm", 200, op.error?.code ?? "OperationFailed", op.error?.message ?? `operation ${op.status}`);
        }
      } else if (reply.status !== 202) {
        this.http.ok(reply, "operation");
        return;
      }
    }
    throw new ServiceError("arm", 0, "Timeout", `operation did not finish within ${Math.round(timeoutMs / 60000)} minutes`);
  }
}
