// The one HTTP transport under the ARM, Databricks and MLflow clients: a timeout on every request (headers
// and body), bounded retries that honour Retry-After up to a cap, one error type carrying its service,
// status, code and exit code, zod-checked JSON, and credentials sent only to the service's own origin.
import { z } from "zod";
import { retryAfterMs } from "../../eval/model/retry-headers.ts";
import { errorBody } from "../error-body.ts";

/** The schema of an answer the caller reads nothing of (any JSON object). */
export const anyObject = z.looseObject({});

export type ServiceName = "arm" | "databricks" | "mlflow";

const LABEL: Record<ServiceName, string> = { arm: "Azure Resource Manager", databricks: "Databricks", mlflow: "MLflow" };

/** Anything a service answered (or failed to answer), with the exit code it means for the command. */
export class ServiceError extends Error {
  /** Refused credentials are a setup problem (sign in: 2); anything else the service answered is a failure (1). */
  readonly exitCode: number;
  constructor(
    readonly service: ServiceName,
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ServiceError";
    this.exitCode = status === 401 || status === 403 ? 2 : 1;
  }
}

export interface TransportOptions {
  service: ServiceName;
  /** The service's own origin (scheme://host:port): the only place credentials are sent. */
  origin: string;
  /** Headers that authenticate a request (e.g. a bearer token), fetched per attempt so tokens refresh. */
  credentials: () => Promise<Record<string, string>>;
  /** Statuses worth retrying: the service's documented throttling and transient errors. */
  retryable: (status: number) => boolean;
  /** How the service shapes error bodies. */
  errorShape: "arm" | "databricks";
  /** Per attempt, headers and body together. @default 60 s (LAB_HTTP_TIMEOUT_MS) */
  timeoutMs?: number;
  /** @default 5 */
  maxAttempts?: number;
  /** A Retry-After longer than this is not waited out: the request fails saying when to try again. @default 120 s */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
}

export interface SendOptions {
  body?: unknown;
  /** Raw bytes instead of JSON (uploads). */
  bytes?: Uint8Array;
  /** A streamed body (large uploads), made anew for each attempt so a retry can send it again. */
  stream?: () => AsyncIterable<Uint8Array>;
  headers?: Record<string, string>;
  /** A pre-signed URL on another host: sent without the service's credentials. */
  anonymous?: boolean;
  /** Safe to repeat after a timeout or lost connection although the method is not idempotent (e.g. an idempotency token). */
  repeatable?: boolean;
}

const sleepReal = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const seconds = (ms: number) =>
  ms >= 7_200_000 ? `${Math.round(ms / 3_600_000)} h` : ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.ceil(ms / 1000)} s`;

/** Timeouts and connection failures are retried only where repeating the request is harmless. */
const IDEMPOTENT = new Set(["GET", "HEAD", "PUT", "DELETE"]);

export class Transport {
  readonly service: ServiceName;
  readonly origin: string;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(readonly opts: TransportOptions) {
    this.service = opts.service;
    this.origin = new URL(opts.origin).origin;
    this.sleep = opts.sleep ?? sleepReal;
  }

  get label(): string {
    return LABEL[this.service];
  }

  error(status: number, code: string, message: string): ServiceError {
    return new ServiceError(this.service, status, code, message);
  }

  /** The URL, when it is on the service's own origin: credentials go nowhere else. */
  private ownUrl(url: string | URL): URL {
    const target = new URL(url);
    if (target.origin !== this.origin) {
      throw this.error(
        0,
        "ForeignHost",
        `refusing to send ${this.label} credentials to ${target.host}: a link in its answer points away from ${new URL(this.origin).host}`,
      );
    }
    return target;
  }

  /** One request, retried on the retryable statuses (and, when idempotent, on timeouts and refused connections). */
  async send(method: string, url: string | URL, opts: SendOptions = {}): Promise<Reply> {
    const target = opts.anonymous ? new URL(url) : this.ownUrl(url);
    const timeoutMs = this.opts.timeoutMs ?? 60_000;
    const max = this.opts.maxAttempts ?? 5;
    const cap = this.opts.maxRetryAfterMs ?? 120_000;
    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = { ...(opts.anonymous ? {} : await this.opts.credentials()), ...opts.headers };
      if (opts.body !== undefined) headers["content-type"] = "application/json";
      const backoff = 500 * 2 ** (attempt - 1);
      let reply: Reply;
      try {
        // One signal for headers and body: a server that trickles its body times out too.
        const signal = AbortSignal.timeout(timeoutMs);
        const res = await this.fetchOnce(method, target, headers, opts, signal);
        reply = { status: res.status, headers: res.headers, text: await res.text() };
      } catch (e) {
        const timedOut = (e as Error).name === "TimeoutError";
        if (attempt < max && (IDEMPOTENT.has(method) || opts.repeatable)) {
          await this.sleep(backoff);
          continue;
        }
        throw timedOut
          ? this.error(0, "Timeout", `${this.label} at ${target.host} did not answer within ${seconds(timeoutMs)} (${method} ${target.pathname})`)
          : this.error(0, "ConnectionFailed", `cannot reach ${this.label} at ${target.origin} (${(e as Error).message})`);
      }
      if (!this.opts.retryable(reply.status) || attempt >= max) return reply;
      const wait = retryAfterMs(reply.headers) ?? backoff;
      if (wait > cap) {
        const { code } = errorBody(reply.status, reply.text, this.opts.errorShape);
        throw this.error(reply.status, code, `${this.label} is busy (HTTP ${reply.status}) and asks to retry in ${seconds(wait)}: try again then`);
      }
      await this.sleep(wait);
    }
  }

  private fetchOnce(method: string, target: URL, headers: Record<string, string>, opts: SendOptions, signal: AbortSignal): Promise<Response> {
    if (opts.stream) {
      // A streamed request body (chunked): fetch needs duplex "half" for it.
      const init = { method, headers, body: opts.stream() as unknown as RequestInit["body"], signal, duplex: "half" } as RequestInit;
      return fetch(target, init);
    }
    const body = opts.bytes ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    return fetch(target, { method, headers, body, signal });
  }

  /**
   * A GET whose body the caller streams (large downloads): the timeout covers the answer's headers,
   * then the body may take as long as it needs. Errors are read and thrown as usual.
   */
  async download(url: string | URL, what: string): Promise<Response> {
    const target = this.ownUrl(url);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException("timed out", "TimeoutError")), this.opts.timeoutMs ?? 60_000);
    try {
      const res = await fetch(target, { headers: await this.opts.credentials(), signal: controller.signal });
      if (!res.ok) this.ok({ status: res.status, headers: res.headers, text: await res.text() }, what);
      return res;
    } catch (e) {
      if (e instanceof ServiceError) throw e;
      throw this.error(0, (e as Error).name === "TimeoutError" ? "Timeout" : "ConnectionFailed", `${what}: ${(e as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The reply, or a ServiceError naming the call, the service's error code and its message. */
  ok(reply: Reply, what: string, hint = ""): Reply {
    if (reply.status >= 200 && reply.status < 300) return reply;
    const { code, message } = errorBody(reply.status, reply.text, this.opts.errorShape);
    throw this.error(reply.status, code, `${what}: ${code}: ${message}${hint}`);
  }

  /** A successful reply's JSON, checked against the schema of what the caller reads. */
  parse<S extends z.ZodType>(reply: Reply, schema: S, what: string, hint = ""): z.infer<S> {
    this.ok(reply, what, hint);
    let json: unknown = {};
    try {
      if (reply.text) json = JSON.parse(reply.text);
    } catch {
      throw this.error(reply.status, "UnexpectedResponse", `${what}: ${this.label} answered something that is not JSON: ${reply.text.slice(0, 120)}`);
    }
    const checked = schema.safeParse(json);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      throw this.error(
        reply.status,
        "UnexpectedResponse",
        `${what}: unexpected answer from ${this.label} (${issue.path.join(".") || "body"}: ${issue.message})`,
      );
    }
    return checked.data;
  }
}

/** LAB_HTTP_TIMEOUT_MS, when set to a positive number. */
export function timeoutFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const ms = Number(env.LAB_HTTP_TIMEOUT_MS);
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
