// One phase of model requests — the answers, then the judges' verdicts — through the scheduler, with
// each finished request appended to its checkpoint the moment it is done. Requests an earlier run
// finished, and repeats of one already queued, are not sent again.
import type { PredictionRecord, PredictionStore } from "./checkpoint.ts";
import type { Answer, ModelError } from "./model/openai-qa.ts";
import { Progress } from "./progress.ts";
import { schedule } from "./scheduler.ts";

export interface PhaseOptions<T> {
  items: AsyncIterable<T> | Iterable<T>;
  /** The checkpoint key: equal keys are one request. */
  keyOf: (item: T) => string;
  /** The dataset row an item belongs to (recorded with it). */
  indexOf: (item: T) => number;
  ask: (item: T, signal: AbortSignal) => Promise<Answer>;
  store: PredictionStore;
  total: number;
  progress: boolean;
  maxConcurrency?: number;
  stop?: AbortSignal;
}

export interface PhaseOutcome {
  retries: number;
  fromCheckpoint: number;
  fatal?: ModelError;
  stopped: boolean;
  /** Key → why its request failed. */
  failures: Map<string, string>;
}

/** The record a finished request leaves in the checkpoint. */
export function recordOf(key: string, index: number, a: Answer): PredictionRecord {
  return a.kind === "answer"
    ? {
        key,
        index,
        status: "ok",
        output: a.text,
        finish_reason: a.finishReason,
        prompt_tokens: a.promptTokens,
        completion_tokens: a.completionTokens,
        ...(a.reasoningTokens !== undefined ? { reasoning_tokens: a.reasoningTokens } : {}),
      }
    : { key, index, status: "filtered", output: null, reason: a.reason };
}

export async function runPhase<T>(o: PhaseOptions<T>): Promise<PhaseOutcome> {
  let fromCheckpoint = 0;
  const queued = new Set<string>();
  const progress = new Progress(o.total, { enabled: o.progress });
  async function* pending() {
    for await (const item of o.items) {
      const key = o.keyOf(item);
      if (o.store.has(key) || queued.has(key)) {
        if (o.store.has(key)) fromCheckpoint++;
        progress.reused();
        continue;
      }
      queued.add(key);
      yield { item, key };
    }
  }
  const outcome = await schedule(
    pending(),
    async ({ item }, signal) => {
      const a = await o.ask(item, signal);
      return { ...a, tokens: a.kind === "answer" ? (a.promptTokens ?? 0) + (a.completionTokens ?? 0) || undefined : undefined };
    },
    ({ item, key }, a) => {
      o.store.append(recordOf(key, o.indexOf(item), a));
      progress.rowDone();
    },
    {
      maxConcurrency: o.maxConcurrency,
      stop: o.stop,
      onEvent: (e) => {
        if (e.type === "retry") progress.retry();
        if (e.type === "failed") progress.rowDone(true);
      },
    },
  );
  progress.stop();
  const failures = new Map<string, string>();
  for (const f of outcome.failed) failures.set(f.item.key, f.error.message);
  return { retries: outcome.retries, fromCheckpoint, fatal: outcome.fatal, stopped: outcome.stopped, failures };
}
