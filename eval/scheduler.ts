// Owns concurrency, pacing and retries for model calls, sized from what the deployment reports rather
// than from a fixed cap. Azure answers every request with the budget left in its rate window
// (`x-ratelimit-remaining-requests`, `-tokens`): after a first small burst, the scheduler sends exactly
// what that budget holds, minus what it sent too recently to be counted in it. A throttle's retry-after
// closes a shared gate; when it reopens, one probe asks how much the new window holds before anything
// else is sent. Without budget headers (other servers) it falls back to AIMD. Pure: the clock, sleep and
// randomness are injected, and it knows nothing of the OpenAI client (work() is any async call).
import { setMaxListeners } from "node:events";
import { ModelError } from "./model/openai-qa.ts";
import type { RateBudget } from "./model/retry-headers.ts";

export interface SchedulerOptions {
  /** A user's cap on requests in flight; none by default (the deployment's budget decides). */
  maxConcurrency?: number;
  /** Requests sent before the first answer reveals the budget. */
  initialBurst?: number;
  /** Attempts for transient failures other than throttling. */
  maxAttempts?: number;
  /** Attempts while throttled (429/503 with a wait): throttling is normal at the rate limit. */
  maxThrottledAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How recent a send is for the server's reported budget not to include it yet. */
  lagMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Stop sending (Ctrl-C): requests in flight finish, nothing new starts. */
  stop?: AbortSignal;
  /** How long answers in flight may still arrive after `stop`. */
  stopGraceMs?: number;
  onEvent?: (event: SchedulerEvent) => void;
}

export type SchedulerEvent =
  | { type: "retry"; status?: number; delayMs: number; throttled: boolean }
  | { type: "concurrency"; limit: number }
  | { type: "failed"; error: ModelError };

export interface WorkResult {
  budget?: RateBudget;
  /** Tokens the request used (prompt + completion), to size the token budget per request. */
  tokens?: number;
}

export interface Failure<T> {
  item: T;
  error: ModelError;
}

export interface ScheduleOutcome<T> {
  failed: Failure<T>[];
  fatal?: ModelError;
  retries: number;
  /** Items never started because `stop` fired. */
  stopped: boolean;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * What may be sent now, from the deployment's reported budget: the remaining requests (and the
 * remaining tokens at the observed tokens per request), less the sends too recent to be counted in it.
 */
export function budgetCredit(budget: RateBudget, recentSends: number, tokensPerRequest: number): number | undefined {
  const units = budgetUnits(budget, tokensPerRequest);
  return units === undefined ? undefined : Math.floor(units) - recentSends;
}

/** The reported budget in requests: remaining requests, or remaining tokens at the tokens per request. */
function budgetUnits(budget: RateBudget, tokensPerRequest: number): number | undefined {
  const byRequests = budget.remainingRequests;
  const byTokens = budget.remainingTokens !== undefined ? budget.remainingTokens / Math.max(1, tokensPerRequest) : undefined;
  if (byRequests === undefined && byTokens === undefined) return undefined;
  return Math.min(byRequests ?? Number.POSITIVE_INFINITY, byTokens ?? Number.POSITIVE_INFINITY);
}

export async function schedule<T, R extends WorkResult>(
  items: AsyncIterable<T>,
  work: (item: T, signal: AbortSignal) => Promise<R>,
  onDone: (item: T, result: R) => void | Promise<void>,
  opts: SchedulerOptions,
): Promise<ScheduleOutcome<T>> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const random = opts.random ?? Math.random;
  const cap = Math.max(1, opts.maxConcurrency ?? Number.POSITIVE_INFINITY);
  const maxAttempts = opts.maxAttempts ?? 6;
  const maxThrottled = opts.maxThrottledAttempts ?? 60;
  const base = opts.baseDelayMs ?? 500;
  const maxDelay = opts.maxDelayMs ?? 30_000;
  const lagMs = opts.lagMs ?? 250;

  let onWire = 0; // requests awaiting an answer right now
  let retries = 0;
  const failed: Failure<T>[] = [];
  let fatal: ModelError | undefined;
  const abort = new AbortController();
  // Every request in flight listens on this one signal: more than Node's default 10 is expected.
  setMaxListeners(0, abort.signal);
  const running = new Set<Promise<void>>();
  // Everything waiting for news (an answer, a failure, a stop): the main loop and retrying items alike.
  let waiters: (() => void)[] = [];
  const poke = () => {
    const ws = waiters;
    waiters = [];
    for (const w of ws) w();
  };
  const news = () => new Promise<void>((r) => waiters.push(r));
  const stopped = () => fatal !== undefined || opts.stop?.aborted === true;
  // Stopping: nothing new is sent; answers in flight get `stopGraceMs` to arrive, then are cancelled.
  let grace: NodeJS.Timeout | undefined;
  const onStop = () => {
    poke();
    grace = setTimeout(() => abort.abort(), opts.stopGraceMs ?? 10_000);
    grace.unref?.();
  };
  opts.stop?.addEventListener("abort", onStop);

  // Budget mode: `credit` sends allowed now, set by each answer's headers. AIMD mode (no headers): `limit`.
  let credit = Math.min(cap, opts.initialBurst ?? 8);
  let budgetMode = false;
  let limit = credit;
  let successStreak = 0;
  const sends: number[] = []; // send times within the last lagMs
  let sentTotal = 0;
  // The window refills continuously; its rate (requests per ms) is learned from successive reports, so
  // sending goes on between answers instead of in bursts one latency apart.
  let refill = 0;
  let creditAt = now();
  let lastReport: { t: number; units: number; sent: number } | undefined;
  let maxUnits = 0;
  let tokensPerRequest = 0;
  let answered = 0;
  let gateUntil = 0;
  let probing = false; // after a reopened gate: one request asks the new window's budget
  let lastDecrease = Number.NEGATIVE_INFINITY;

  const recentSends = () => {
    const t = now() - lagMs;
    while (sends.length && sends[0] < t) sends.shift();
    return sends.length;
  };
  const setLimit = (n: number) => {
    if (n !== limit) {
      limit = n;
      opts.onEvent?.({ type: "concurrency", limit });
    }
  };
  const accrue = () => {
    const t = now();
    if (budgetMode && refill > 0) credit = Math.min(credit + refill * (t - creditAt), Math.max(credit, refillCap()));
    creditAt = t;
  };
  // Never accrue past the most the window was ever seen to hold (its capacity, as far as we know), and
  // always up to one request (a window reported as 0 still refills).
  const refillCap = () => Math.max(1, maxUnits);
  const mayStart = () => {
    accrue();
    if (onWire >= cap || now() < gateUntil) return false;
    if (probing) return onWire === 0;
    if (!budgetMode) return onWire < limit;
    // Nothing on the wire, no credit and no known refill: one request finds out what the window holds.
    return credit >= 1 || (onWire === 0 && refill === 0);
  };
  const onAnswer = (result: R) => {
    probing = false;
    if (result.tokens) tokensPerRequest = (tokensPerRequest * answered + result.tokens) / ++answered;
    const perRequest = tokensPerRequest * 1.2;
    const units = result.budget ? budgetUnits(result.budget, perRequest) : undefined;
    if (result.budget && units !== undefined) {
      const t = now();
      budgetMode = true;
      maxUnits = Math.max(maxUnits, units);
      if (!lastReport) lastReport = { t, units, sent: sentTotal };
      else if (t - lastReport.t >= 200) {
        const rate = Math.max(0, (units - lastReport.units + (sentTotal - lastReport.sent)) / (t - lastReport.t));
        refill = refill === 0 ? rate : refill * 0.7 + rate * 0.3;
        lastReport = { t, units, sent: sentTotal };
      }
      credit = budgetCredit(result.budget, recentSends(), perRequest) ?? credit;
      creditAt = t;
      return;
    }
    // AIMD: grow by one per `limit` successes.
    if (++successStreak >= limit) {
      successStreak = 0;
      setLimit(Math.min(cap, limit + 1));
    }
  };
  const onThrottle = (waitMs: number) => {
    const t = now();
    gateUntil = Math.max(gateUntil, t + waitMs);
    credit = 0;
    probing = true;
    successStreak = 0;
    // One halving per throttling episode (AIMD mode), not one per rejected request of the same burst.
    if (t - lastDecrease > Math.max(1000, waitMs)) {
      lastDecrease = t;
      setLimit(Math.max(1, Math.floor(limit / 2)));
    }
  };
  const backoff = (attempt: number) => Math.min(maxDelay, base * 2 ** (attempt - 1)) * (0.5 + random() / 2);

  /** Wait until a request may start (budget, gate, cap); false when the run is stopping. */
  const slot = async (): Promise<boolean> => {
    for (;;) {
      if (stopped()) return false;
      if (mayStart()) {
        // Taken at once, in the same tick: a second waiter must see this request on the wire.
        credit--;
        onWire++;
        sentTotal++;
        sends.push(now());
        return true;
      }
      if (now() < gateUntil) await sleep(gateUntil - now());
      else if (budgetMode && refill > 0 && !probing && onWire < cap) {
        // Until the window has refilled one more request (or an answer brings news).
        await Promise.race([sleep(Math.max(1, (1 - credit) / refill)), news()]);
      } else await news();
    }
  };

  /**
   * What a failed attempt means: stop the run, fail the row, or try again (after the shared gate for a
   * throttle, or a capped backoff for other transient failures). Returns whether to try again.
   */
  const afterError = async (item: T, e: unknown, attempt: number, tries: { throttled: number }): Promise<boolean> => {
    // After a fatal error or a stop, an unanswered row stays unfinished (a resume asks it again).
    if (fatal || opts.stop?.aborted) return false;
    const err = e instanceof ModelError ? e : new ModelError("row", (e as Error)?.message ?? String(e));
    if (err.kind === "fatal") {
      fatal = err;
      abort.abort();
      return false;
    }
    const fail = () => {
      failed.push({ item, error: err });
      opts.onEvent?.({ type: "failed", error: err });
      return false;
    };
    if (err.kind === "row") return fail();
    const throttled = err.throttled && err.retryAfterMs !== undefined;
    if (throttled) tries.throttled++;
    if (throttled ? tries.throttled >= maxThrottled : attempt - tries.throttled >= maxAttempts) return fail();
    // Throttling closes the shared gate for exactly the server's wait; other failures sleep this
    // request alone: the server's wait plus a little jitter, else capped exponential backoff.
    const delayMs = err.retryAfterMs !== undefined ? err.retryAfterMs + random() * 20 : backoff(attempt);
    if (err.throttled) {
      sentTotal--; // refused, not admitted: it took nothing from the window
      onThrottle(err.retryAfterMs ?? delayMs);
    }
    retries++;
    opts.onEvent?.({ type: "retry", status: err.status, delayMs, throttled: err.throttled });
    if (!throttled) await sleep(delayMs);
    return !stopped();
  };

  /** Runs an item whose first slot is already taken. */
  const runOne = async (item: T) => {
    const tries = { throttled: 0 };
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1 && !(await slot())) return;
      let result: R;
      try {
        result = await work(item, abort.signal);
      } catch (e) {
        // The wire count drops in the same tick as the error's news (gate, budget): no waiter sees one without the other.
        onWire--;
        const p = afterError(item, e, attempt, tries);
        poke();
        if (await p) continue;
        return;
      }
      onAnswer(result);
      onWire--;
      poke();
      await onDone(item, result);
      return;
    }
  };

  const iterator = items[Symbol.asyncIterator]();
  for (;;) {
    if (!(await slot())) break;
    let next: IteratorResult<T>;
    try {
      next = await iterator.next();
    } catch (e) {
      // A bad row mid-stream: let started requests finish (and be checkpointed), then report it.
      await Promise.all(running);
      throw e;
    }
    if (next.done) {
      credit++; // the slot was not used
      onWire--;
      break;
    }
    const p: Promise<void> = runOne(next.value).finally(() => {
      running.delete(p);
      poke();
    });
    running.add(p);
  }
  await Promise.all(running);
  opts.stop?.removeEventListener("abort", onStop);
  clearTimeout(grace);
  if (stopped()) await iterator.return?.();
  return { failed, fatal, retries, stopped: opts.stop?.aborted === true && fatal === undefined };
}
