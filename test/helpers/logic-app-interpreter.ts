// A small interpreter for the Logic Apps workflow-definition subset the teardown uses (If, Http, Until,
// Wait; runAfter ordering; the expression functions utcNow, ticks, parameters, outputs, equals,
// greaterOrEquals, and the `and` condition form). It sends one real HTTP request per Http action, so
// the workflow's paths, api-versions and auth are proven against the ARM fake. Anything else throws.

export interface HttpResult {
  statusCode: number;
  body: unknown;
}

export interface InterpreterContext {
  now: () => Date;
  parameters: Record<string, string>;
  /** Perform one Http action (the test maps management.azure.com to the fake, MSI to a token). */
  http: (method: string, uri: string, authentication: { type: string; audience?: string }) => Promise<HttpResult>;
  trace: string[];
}

type Status = "Succeeded" | "Failed" | "Skipped" | "TimedOut";
// biome-ignore lint/suspicious/noExplicitAny: workflow JSON is dynamic
type Action = Record<string, any>;

const TICKS_AT_EPOCH = 621355968000000000n;

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
        return ctx.now().toISOString();
      case "ticks":
        return BigInt(Date.parse(String(args[0]))) * 10000n + TICKS_AT_EPOCH;
      case "parameters":
        if (!(String(args[0]) in ctx.parameters)) throw new Error(`unknown parameter ${args[0]}`);
        return ctx.parameters[String(args[0])];
      case "outputs":
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

async function runAction(name: string, a: Action, ctx: InterpreterContext, outputs: Record<string, HttpResult>): Promise<Status> {
  ctx.trace.push(name);
  switch (a.type) {
    case "Http": {
      const r = await ctx.http(a.inputs.method, a.inputs.uri, a.inputs.authentication);
      outputs[name] = r;
      return r.statusCode >= 200 && r.statusCode < 300 ? "Succeeded" : "Failed";
    }
    case "Wait":
      return "Succeeded";
    case "If": {
      const branch = condition(a.expression, ctx, outputs) ? a.actions : (a.else?.actions ?? {});
      await runActions(branch, ctx, outputs);
      return "Succeeded";
    }
    case "Until": {
      for (let i = 0; i < a.limit.count; i++) {
        await runActions(a.actions, ctx, outputs);
        if (condition(a.expression, ctx, outputs)) return "Succeeded";
      }
      return "TimedOut";
    }
    default:
      throw new Error(`unsupported action type ${a.type}`);
  }
}

/** Run a set of actions honouring runAfter; returns each action's status. */
export async function runActions(actions: Record<string, Action>, ctx: InterpreterContext, outputs: Record<string, HttpResult> = {}): Promise<Record<string, Status>> {
  const status: Record<string, Status> = {};
  const names = Object.keys(actions);
  while (Object.keys(status).length < names.length) {
    const ready = names.find((n) => !(n in status) && Object.keys(actions[n].runAfter ?? {}).every((dep) => dep in status));
    if (!ready) throw new Error(`runAfter cycle or unknown dependency among ${names.join(", ")}`);
    const deps = Object.entries(actions[ready].runAfter ?? {}) as [string, Status[]][];
    const allowed = deps.every(([dep, when]) => when.includes(status[dep]));
    status[ready] = allowed ? await runAction(ready, actions[ready], ctx, outputs) : "Skipped";
  }
  return status;
}
