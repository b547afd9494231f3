// An interpreter for the Logic Apps workflow-definition subset the teardown uses (If, Http, Until, Wait,
// Terminate; runAfter; the expression functions utcNow, ticks, parameters, outputs, equals,
// greaterOrEquals, and the `and` condition form), following Logic Apps' documented run rules — each
// rule below cites its page. Time is virtual: Wait and retry delays advance a clock, so a two-hour
// Until runs in milliseconds. One real HTTP request per Http attempt, against the ARM fake, so paths,
// api-versions and auth are proven too. Anything outside the subset throws.

export interface HttpResult {
  statusCode: number;
  body: unknown;
}

export interface VirtualClock {
  now(): number;
  advance(ms: number): void;
}

export function virtualClock(start: number): VirtualClock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

export interface InterpreterContext {
  clock: VirtualClock;
  parameters: Record<string, string>;
  /** Perform one Http request (the test maps management.azure.com to the fake, MSI to a token). */
  http: (method: string, uri: string, authentication: { type: string; audience?: string }) => Promise<HttpResult>;
  trace: string[];
}

export type Status = "Succeeded" | "Failed" | "Skipped" | "TimedOut";
export type RunStatus = "Succeeded" | "Failed";
type Action = Record<string, any>;

const TICKS_AT_EPOCH = 621355968000000000n;

/** A Terminate action ends the whole run at once with its status. */
class Terminated extends Error {
  constructor(
    readonly runStatus: RunStatus,
    readonly code?: string,
  ) {
    super(`terminated ${runStatus}${code ? ` (${code})` : ""}`);
  }
}

/** Evaluate an `@…` expression. */
export function evaluate(expr: string, ctx: InterpreterContext, outputs: Record<string, HttpResult>): unknown {
  if (!expr.startsWith("@")) return expr;
  let pos = 1;
  const src = expr;
  const ws = () => {
    while (src[pos] === " ") pos++;
  };
  const value = (): unknown => {
    ws();
    if (src[pos] === "'") {
      const end = src.indexOf("'", pos + 1);
      const s = src.slice(pos + 1, end);
      pos = end + 1;
      return s;
    }
    const num = /^-?\d+/.exec(src.slice(pos));
    if (num) {
      pos += num[0].length;
      return Number(num[0]);
    }
    const name = /^[A-Za-z]+/.exec(src.slice(pos))?.[0];
    if (!name || src[pos + name.length] !== "(") throw new Error(`unsupported expression at ${pos}: ${src}`);
    pos += name.length + 1;
    const args: unknown[] = [];
    ws();
    while (src[pos] !== ")") {
      args.push(value());
      ws();
      if (src[pos] === ",") pos++;
    }
    pos++;
    let result = call(name, args);
    while (src[pos] === "[") {
      const end = src.indexOf("]", pos);
      const prop = src.slice(pos + 1, end).replace(/^'|'$/g, "");
      pos = end + 1;
      result = (result as Record<string, unknown>)[prop];
    }
    return result;
  };
  const call = (name: string, args: unknown[]): unknown => {
    switch (name) {
      case "utcNow":
        return new Date(ctx.clock.now()).toISOString();
      case "ticks":
        return BigInt(Date.parse(String(args[0]))) * 10000n + TICKS_AT_EPOCH;
      case "parameters":
        if (!(String(args[0]) in ctx.parameters)) throw new Error(`unknown parameter ${args[0]}`);
        return ctx.parameters[String(args[0])];
      case "outputs":
        // Referencing an action that never ran fails the expression (and so the action) in Logic Apps.
        if (!(String(args[0]) in outputs)) throw new Error(`no outputs for ${args[0]} yet`);
        return outputs[String(args[0])];
      case "equals":
        return args[0] === args[1];
      case "greaterOrEquals":
        return (args[0] as number | bigint) >= (args[1] as number | bigint);
      default:
        throw new Error(`unsupported function ${name}`);
    }
  };
  return value();
}

function condition(c: unknown, ctx: InterpreterContext, outputs: Record<string, HttpResult>): boolean {
  if (typeof c === "string") return Boolean(evaluate(c, ctx, outputs));
  const [op, args] = Object.entries(c as Record<string, unknown[]>)[0];
  if (op === "and") return args.every((a) => condition(a, ctx, outputs));
  const [a, b] = args.map((x) => (typeof x === "string" ? evaluate(x, ctx, outputs) : x));
  if (op === "greaterOrEquals") return (a as number) >= (b as number);
  if (op === "equals") return a === b;
  throw new Error(`unsupported condition ${op}`);
}

/** ISO 8601 durations the teardown uses (PT2H, PT30M, PT45S). */
function durationMs(iso: string): number {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$/.exec(iso);
  if (!m) throw new Error(`unsupported duration ${iso}`);
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

const UNIT_MS: Record<string, number> = { Second: 1000, Minute: 60_000, Hour: 3_600_000 };

/**
 * The default retry policy: an exponential interval policy of up to 4 retries for 408, 429 and 5xx
 * answers (and timeouts), intervals scaled by 7.5 s within 5–45 s.
 * learn.microsoft.com/azure/logic-apps/error-exception-handling#retry-policies
 */
const RETRIES = 4;
const retryable = (code: number) => code === 408 || code === 429 || code >= 500;
const retryDelayMs = (attempt: number) => Math.min(45_000, Math.max(5_000, 7_500 * 2 ** attempt));

async function httpAction(a: Action, ctx: InterpreterContext): Promise<HttpResult> {
  for (let attempt = 0; ; attempt++) {
    const r = await ctx.http(a.inputs.method, a.inputs.uri, a.inputs.authentication);
    if (!retryable(r.statusCode) || attempt === RETRIES) return r;
    ctx.clock.advance(retryDelayMs(attempt));
  }
}

/**
 * The status of a set of actions (a run, an If branch): Failed when an action Failed or TimedOut and
 * nothing ran after it to handle that failure (a failed action followed only by Skipped ones fails the
 * whole), else Succeeded. learn.microsoft.com/azure/logic-apps/error-exception-handling#evaluate-actions-with-scopes-and-their-results
 */
function setStatus(actions: Record<string, Action>, status: Record<string, Status>): RunStatus {
  const handled = (name: string) =>
    Object.entries(actions).some(([other, a]) => name in (a.runAfter ?? {}) && status[other] !== "Skipped" && status[other] !== undefined);
  const unhandled = Object.keys(actions).filter((n) => (status[n] === "Failed" || status[n] === "TimedOut") && !handled(n));
  return unhandled.length > 0 ? "Failed" : "Succeeded";
}

async function runAction(name: string, a: Action, ctx: InterpreterContext, outputs: Record<string, HttpResult>): Promise<Status> {
  ctx.trace.push(name);
  switch (a.type) {
    case "Http": {
      const r = await httpAction(a, ctx);
      outputs[name] = r;
      // A non-2xx answer fails the action (a 404 included): learn.microsoft.com/azure/connectors/connectors-native-http
      return r.statusCode >= 200 && r.statusCode < 300 ? "Succeeded" : "Failed";
    }
    case "Wait":
      ctx.clock.advance(a.inputs.interval.count * UNIT_MS[a.inputs.interval.unit]);
      return "Succeeded";
    case "Terminate":
      throw new Terminated(a.inputs.runStatus, a.inputs.runError?.code);
    case "If": {
      const branch = condition(a.expression, ctx, outputs) ? a.actions : (a.else?.actions ?? {});
      return await runActions(branch, ctx, outputs).then((r) => r.status);
    }
    case "Until": {
      // learn.microsoft.com/azure/logic-apps/logic-apps-control-flow-loops#until: the loop is Failed if
      // any action failed in its last iteration; hitting the count or timeout limit ends it Succeeded
      // unless operationOptions holds FailWhenLimitsReached.
      const started = ctx.clock.now();
      const timeout = durationMs(a.limit.timeout);
      let last: Record<string, Status> = {};
      for (let i = 0; i < a.limit.count && ctx.clock.now() - started < timeout; i++) {
        last = (await runActions(a.actions, ctx, outputs)).actions;
        const failedInIteration = Object.values(last).some((s) => s === "Failed" || s === "TimedOut");
        if (condition(a.expression, ctx, outputs)) return failedInIteration ? "Failed" : "Succeeded";
      }
      const failedInLast = Object.values(last).some((s) => s === "Failed" || s === "TimedOut");
      if (failedInLast || String(a.operationOptions ?? "").includes("FailWhenLimitsReached")) return "Failed";
      return "Succeeded";
    }
    default:
      throw new Error(`unsupported action type ${a.type}`);
  }
}

/**
 * Run a set of actions honouring runAfter: an action runs once every predecessor has ended with one
 * of the statuses its runAfter lists, and is Skipped otherwise (learn.microsoft.com/azure/logic-apps/error-exception-handling#manage-the-run-after-behavior).
 */
export async function runActions(
  actions: Record<string, Action>,
  ctx: InterpreterContext,
  outputs: Record<string, HttpResult> = {},
): Promise<{ status: RunStatus; actions: Record<string, Status> }> {
  const status: Record<string, Status> = {};
  const names = Object.keys(actions);
  while (Object.keys(status).length < names.length) {
    const ready = names.find((n) => !(n in status) && Object.keys(actions[n].runAfter ?? {}).every((dep) => dep in status));
    if (!ready) throw new Error(`runAfter cycle or unknown dependency among ${names.join(", ")}`);
    const deps = Object.entries(actions[ready].runAfter ?? {}) as [string, Status[]][];
    const allowed = deps.every(([dep, when]) => when.includes(status[dep]));
    status[ready] = allowed ? await runAction(ready, actions[ready], ctx, outputs) : "Skipped";
  }
  return { status: setStatus(actions, status), actions: status };
}

export interface RunResult {
  status: RunStatus;
  /** The Terminate action's error code, when one ended the run. */
  code?: string;
  actions: Record<string, Status>;
}

/** One workflow run: the run's status, or the status a Terminate action set. */
export async function runWorkflow(actions: Record<string, Action>, ctx: InterpreterContext): Promise<RunResult> {
  try {
    const r = await runActions(actions, ctx);
    return { status: r.status, actions: r.actions };
  } catch (e) {
    if (e instanceof Terminated) return { status: e.runStatus, code: e.code, actions: {} };
    throw e;
  }
}
