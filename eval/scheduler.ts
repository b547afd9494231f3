// Owns concurrency, pacing and retries for model calls. Concurrency adapts (AIMD): it grows while
// requests succeed with budget left, halves on throttling (429/503); a throttle's retry-after closes a
// shared gate so no request is sent before Azure said it may be; other transient failures back off
// with capped, jittered exponential delays. Fatal errors stop everything; row errors fail one row.
import { setMaxListeners } from "node:events";
import { ModelError } from "./model/openai-qa.ts";
import type { RateBudget } from "./model/retry-headers.ts";

export interface SchedulerOptions {
  maxConcurrency: number;
  initialConcurrency?: number;
  /** Attempts for transient failures other than throttling. */
  maxAttempts?: number;
  /** Attempts while throttled (429/503 with a wait): throttling is normal at the rate limit. */
  maxThrottledAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onEvent?: (event: SchedulerEvent) => void;
}

export type SchedulerEvent =
  | { type: "retry"; status?: number; delayMs: number; throttled: boolean }
  | { type: "concurrency"; limit: number };

export interface WorkResult {
  budget?: RateBudget;
}

export interface Failure<T> {
  item: T;
  error: ModelError;
}

export interface ScheduleOutcome<T> {
  failed: Failure<T>[];
  fatal?: ModelError;
  retries: number;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function schedule<T, R extends WorkResult>(
  items: AsyncIterable<T>,
  work: (item: T, signal: AbortSignal) => Promise<R>,
  onDone: (item: T, result: R) => void | Promise<void>,
  opts: SchedulerOptions,
): Promise<ScheduleOutcome<T>> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const random = opts.random ?? Math.random;
  const max = Math.max(1, opts.maxConcurrency);
  const maxAttempts = opts.maxAttempts ?? 6;
  const maxThrottled = opts.maxThrottledAttempts ?? 60;
  const base = opts.baseDelayMs ?? 500;
  const cap = opts.maxDelayMs ?? 30_000;

  let limit = Math.min(max, opts.initialConcurrency ?? 4);
  let inFlight = 0;
  let successStreak = 0;
  let gateUntil = 0;
  let lastDecrease = Number.NEGATIVE_INFINITY;
  let retries = 0;
  const failed: Failure<T>[] = [];
  let fatal: ModelError | undefined;
  const abort = new AbortController();
  // Every request in flight listens on this one signal: more than Node's default 10 is expected.
  setMaxListeners(0, abort.signal);
  const running = new Set<Promise<void>>();
  let wake: (() => void) | undefined;

  const setLimit = (n: number) => {
    if (n !== limit) {
      limit = n;
      opts.onEvent?.({ type: "concurrency", limit });
    }
  };
  const waitGate = async () => {
    while (!fatal && now() < gateUntil) await sleep(gateUntil - now());
  };
  const onSuccess = (budget: RateBudget | undefined) => {
    // Grow by one per `limit` successes, unless the deployment says its budget is nearly spent.
    const nearlySpent = (budget?.remainingRequests ?? Number.POSITIVE_INFINITY) <= 1;
    if (nearlySpent) return;
    if (++successStreak >= limit) {
      successStreak = 0;
      setLimit(Math.min(max, limit + 1));
    }
  };
  const onThrottle = (waitMs: number) => {
    const t = now();
    gateUntil = Math.max(gateUntil, t + waitMs);
    successStreak = 0;
    // One halving per throttling episode, not one per rejected request of the same burst.
    if (t - lastDecrease > Math.max(1000, waitMs)) {
      lastDecrease = t;
      setLimit(Math.max(1, Math.floor(limit / 2)));
    }
  };
  const backoff = (attempt: number) => Math.min(cap, base * 2 ** (attempt - 1)) * (0.5 + random() / 2);

  const runOne = async (item: T) => {
    for (let attempt = 1, throttledAttempts = 0; ; attempt++) {
      await waitGate();
      if (fatal) return;
      try {
        const result = await work(item, abort.signal);
        onSuccess(result.budget);
        await onDone(item, result);
        return;
      } catch (e) {
        if (fatal) return;
        const err = e instanceof ModelError ? e : new ModelError("row", (e as Error)?.message ?? String(e));
        if (err.kind === "fatal") {
          fatal = err;
          abort.abort();
          return;
        }
        if (err.kind === "row") {
          failed.push({ item, error: err });
          return;
        }
        const throttled = err.throttled && err.retryAfterMs !== undefined;
        if (throttled) throttledAttempts++;
        const exhausted = throttled ? throttledAttempts >= maxThrottled : attempt - throttledAttempts >= maxAttempts;
        if (exhausted) {
          failed.push({ item, error: err });
          return;
        }
        // Throttling closes the shared gate for exactly the server's wait (every request waits there);
        // other failures sleep this request alone: the server's wait plus a little jitter, else backoff.
        const delayMs = err.retryAfterMs !== undefined ? err.retryAfterMs + random() * 20 : backoff(attempt);
        if (err.throttled) onThrottle(err.retryAfterMs ?? delayMs);
        retries++;
        opts.onEvent?.({ type: "retry", status: err.status, delayMs, throttled: err.throttled });
        if (!throttled) await sleep(delayMs);
      }
    }
  };

  const iterator = items[Symbol.asyncIterator]();
  for (;;) {
    while (!fatal && inFlight >= limit) await new Promise<void>((r) => (wake = r));
    await waitGate();
    if (fatal) break;
    let next: IteratorResult<T>;
    try {
      next = await iterator.next();
    } catch (e) {
      // A bad row mid-stream: let started requests finish (and be checkpointed), then report it.
      await Promise.all(running);
      throw e;
    }
    if (next.done) break;
    inFlight++;
    const p: Promise<void> = runOne(next.value).finally(() => {
      inFlight--;
      running.delete(p);
      wake?.();
    });
    running.add(p);
  }
  await Promise.all(running);
  if (fatal) await iterator.return?.();
  return { failed, fatal, retries };
}
