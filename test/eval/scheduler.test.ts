// The scheduler alone, in virtual time, against an Azure-like limiter: RPM and TPM as token buckets that
// hold 10 seconds of budget (Azure enforces per-minute limits over 1–10 s windows:
// learn.microsoft.com/azure/ai-foundry/openai/how-to/quota#understanding-rate-limits), admission
// charged on arrival, 429 with retry-after when the bucket is short, and the remaining budget reported
// on every answer (x-ratelimit-remaining-requests / -tokens).
import { describe, expect, it } from "vitest";
import { ModelError } from "../../eval/model/openai-qa.ts";
import { budgetCredit, schedule } from "../../eval/scheduler.ts";

/** Virtual time: sleeps resolve when the clock reaches them; the clock jumps when nothing else can run. */
class VirtualTime {
  t = 0;
  private timers: { at: number; resolve: () => void }[] = [];
  now = () => this.t;
  sleep = (ms: number) => new Promise<void>((resolve) => this.timers.push({ at: this.t + Math.max(0, ms), resolve }));
  async run<T>(p: Promise<T>): Promise<T> {
    let done = false;
    p.then(
      () => (done = true),
      () => (done = true),
    );
    while (!done) {
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r)); // let every ready task run
      if (done || this.timers.length === 0) continue;
      this.timers.sort((a, b) => a.at - b.at);
      const at = this.timers[0].at;
      this.t = Math.max(this.t, at);
      for (const tm of this.timers.filter((x) => x.at <= this.t)) tm.resolve();
      this.timers = this.timers.filter((x) => x.at > this.t);
    }
    return p;
  }
}

class Bucket {
  private level: number;
  private last = 0;
  constructor(
    private readonly perMinute: number,
    private readonly clock: () => number,
  ) {
    this.level = perMinute / 6;
  }
  private refill() {
    const t = this.clock();
    this.level = Math.min(this.perMinute / 6, this.level + ((t - this.last) / 60_000) * this.perMinute);
    this.last = t;
  }
  take(n: number): number {
    this.refill();
    if (this.level >= n) {
      this.level -= n;
      return 0;
    }
    return Math.ceil(((n - this.level) / this.perMinute) * 60_000);
  }
  give(n: number) {
    this.level += n;
  }
  get remaining() {
    this.refill();
    return Math.floor(this.level);
  }
}

interface Deployment {
  rpm: number;
  tpm: number;
  latencyMs: number;
  tokensPerRequest: number;
}

function azureLike(d: Deployment, vt: VirtualTime) {
  const rpm = new Bucket(d.rpm, vt.now);
  const tpm = new Bucket(d.tpm, vt.now);
  const log = { sent: 0, throttled: 0, answered: new Map<number, number>() };
  const work = async (item: number) => {
    log.sent++;
    const wait = rpm.take(1) || tpm.take(d.tokensPerRequest) || 0;
    if (wait > 0) {
      log.throttled++;
      throw new ModelError("retryable", "HTTP 429", 429, wait, true);
    }
    await vt.sleep(d.latencyMs);
    log.answered.set(item, (log.answered.get(item) ?? 0) + 1);
    return { budget: { remainingRequests: rpm.remaining, remainingTokens: tpm.remaining }, tokens: d.tokensPerRequest };
  };
  return { work, log };
}

/** The limiter's best span: the first window's budget at once, the rest at the refill rate, one latency to finish. */
function bestSpanMs(rows: number, d: Deployment): number {
  const perSecond = Math.min(d.rpm, d.tpm / d.tokensPerRequest) / 60;
  const burst = Math.min(d.rpm / 6, d.tpm / 6 / d.tokensPerRequest);
  return (Math.max(0, rows - burst) / perSecond) * 1000 + d.latencyMs;
}

async function* numbers(n: number) {
  for (let i = 0; i < n; i++) yield i;
}

async function simulate(rows: number, d: Deployment, maxConcurrency?: number) {
  const vt = new VirtualTime();
  const { work, log } = azureLike(d, vt);
  const outcome = await vt.run(schedule(numbers(rows), work, () => {}, { now: vt.now, sleep: vt.sleep, random: () => 0.5, maxConcurrency }));
  const ratio = bestSpanMs(rows, d) / vt.t;
  if (process.env.SCHEDULER_TRACE) console.log(`${rows} rows ${JSON.stringify(d)}: ${vt.t} ms, ratio ${ratio.toFixed(3)}, 429s ${log.throttled}`);
  return { outcome, log, spanMs: vt.t, ratio };
}

describe("scheduler against an Azure-like limiter (virtual time)", () => {
  it("a lab-sized deployment (5K TPM / 30 RPM, 40 rows): near the limiter's best span, every row answered once", async () => {
    const r = await simulate(40, { rpm: 30, tpm: 5000, latencyMs: 800, tokensPerRequest: 60 });
    expect(r.outcome.failed).toEqual([]);
    expect([...r.log.answered.values()].every((n) => n === 1)).toBe(true);
    expect(r.log.answered.size).toBe(40);
    expect(r.ratio).toBeGreaterThan(0.95);
  });

  it("a roomy deployment (600 RPM, 1.5 s latency, 300 rows): sized from the reported budget, not a fixed cap", async () => {
    const r = await simulate(300, { rpm: 600, tpm: 1_000_000, latencyMs: 1500, tokensPerRequest: 60 });
    expect(r.outcome.failed).toEqual([]);
    expect(r.log.answered.size).toBe(300);
    expect(r.ratio).toBeGreaterThan(0.95);
    // No storm of 429s: the budget decides what is sent.
    expect(r.log.throttled).toBeLessThanOrEqual(5);
  });

  it("honours the token budget when tokens bind before requests", async () => {
    const r = await simulate(60, { rpm: 600, tpm: 12_000, latencyMs: 500, tokensPerRequest: 400 });
    expect(r.log.answered.size).toBe(60);
    expect(r.log.throttled).toBeLessThanOrEqual(5);
    expect(r.ratio).toBeGreaterThan(0.85);
  });

  it("keeps a user's cap on requests in flight", async () => {
    const vt = new VirtualTime();
    const { work } = azureLike({ rpm: 6000, tpm: 10_000_000, latencyMs: 1000, tokensPerRequest: 10 }, vt);
    let inFlight = 0;
    let peak = 0;
    const counted = async (i: number) => {
      peak = Math.max(peak, ++inFlight);
      try {
        return await work(i);
      } finally {
        inFlight--;
      }
    };
    await vt.run(schedule(numbers(50), counted, () => {}, { now: vt.now, sleep: vt.sleep, maxConcurrency: 3 }));
    expect(peak).toBe(3);
  });
});

describe("budgetCredit", () => {
  it("is the smaller of the request and token budgets, less the sends too recent to be counted", () => {
    expect(budgetCredit({ remainingRequests: 10, remainingTokens: 100_000 }, 0, 500)).toBe(10);
    expect(budgetCredit({ remainingRequests: 10, remainingTokens: 2000 }, 0, 500)).toBe(4);
    expect(budgetCredit({ remainingRequests: 10 }, 3, 500)).toBe(7);
    expect(budgetCredit({}, 0, 500)).toBeUndefined();
  });
});

describe("stop (Ctrl-C)", () => {
  it("sends nothing new after stop, keeps the answers in flight, and says it stopped", async () => {
    const vt = new VirtualTime();
    const { work, log } = azureLike({ rpm: 6000, tpm: 10_000_000, latencyMs: 1000, tokensPerRequest: 10 }, vt);
    const stop = new AbortController();
    const done: number[] = [];
    const onDone = (i: number) => {
      done.push(i);
      if (done.length === 12) stop.abort(); // Ctrl-C while answers are arriving
    };
    const outcome = await vt.run(schedule(numbers(100), work, onDone, { now: vt.now, sleep: vt.sleep, stop: stop.signal, maxConcurrency: 5 }));
    expect(outcome.stopped).toBe(true);
    expect(log.sent).toBeLessThan(100);
    expect(done.length).toBe(log.answered.size); // every answer that arrived was kept
  });
});

describe("failures", () => {
  it("reports each failed row as an event (progress counts them) and goes on with the others", async () => {
    const vt = new VirtualTime();
    const events: string[] = [];
    const work = async (i: number) => {
      await vt.sleep(10);
      if (i % 3 === 0) throw new ModelError("row", `HTTP 400 row ${i}`, 400);
      return {};
    };
    const outcome = await vt.run(schedule(numbers(9), work, () => {}, { now: vt.now, sleep: vt.sleep, onEvent: (e) => void events.push(e.type) }));
    expect(outcome.failed.map((f) => f.item)).toEqual([0, 3, 6]);
    expect(events.filter((e) => e === "failed")).toHaveLength(3);
  });
});
