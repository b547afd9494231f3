// CI gates on a run's metrics: `--fail-if 'toxicity/v1/mean>0.05'` (repeatable; < <= > >=). Parsed and
// checked against the metrics the run will compute before any request; judged after the results are
// written; written as JUnit XML (one test case per threshold) for CI systems.
import { writeFileAtomic } from "./atomic-write.ts";

export type Operator = "<" | "<=" | ">" | ">=";

export interface Threshold {
  expr: string;
  metric: string;
  op: Operator;
  limit: number;
}

export interface Verdict extends Threshold {
  value?: number;
  broken: boolean;
  /** "toxicity/v1/mean = 0.07, and must not be > 0.05" */
  message: string;
}

export class ThresholdError extends Error {
  readonly exitCode = 2;
}

const EXPR = /^\s*([A-Za-z0-9_./-]+)\s*(<=|>=|<|>)\s*(-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)\s*$/i;

/** Parse each expression; `known` is every metric name the run can produce. */
export function parseThresholds(exprs: readonly string[], known: readonly string[]): Threshold[] {
  return exprs.map((expr) => {
    const m = EXPR.exec(expr);
    if (!m) {
      throw new ThresholdError(`--fail-if "${expr}": write METRIC OP NUMBER with OP one of < <= > >=, e.g. --fail-if 'toxicity/v1/mean>0.05'`);
    }
    const [, metric, op, limit] = m;
    if (!known.includes(metric)) {
      throw new ThresholdError(`--fail-if "${expr}": this run computes no metric "${metric}"; it computes: ${known.join(", ") || "none with an aggregate"}`);
    }
    return { expr: expr.trim(), metric, op: op as Operator, limit: Number(limit) };
  });
}

const holds = (v: number, op: Operator, limit: number) => (op === "<" ? v < limit : op === "<=" ? v <= limit : op === ">" ? v > limit : v >= limit);

/** A threshold is broken when its condition holds, or when the run has no value for its metric. */
export function judge(thresholds: readonly Threshold[], metrics: Record<string, number>): Verdict[] {
  return thresholds.map((t) => {
    const value = metrics[t.metric];
    if (typeof value !== "number" || !Number.isFinite(value)) {
      return { ...t, broken: true, message: `${t.metric} has no value in this run (it could not be computed), so "${t.expr}" cannot pass` };
    }
    const broken = holds(value, t.op, t.limit);
    return { ...t, value, broken, message: `${t.metric} = ${value}${broken ? `, and must not be ${t.op} ${t.limit}` : `, not ${t.op} ${t.limit}`}` };
  });
}

const xml = (s: string) => s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] as string);

/** JUnit XML, one test case per threshold: what Jenkins, GitLab, Azure Pipelines and GitHub reporters read. */
export function junitXml(verdicts: readonly Verdict[], suite = "evallab thresholds"): string {
  const failures = verdicts.filter((v) => v.broken).length;
  const cases = verdicts.map((v) => {
    const open = `  <testcase classname="evallab.fail-if" name="${xml(v.expr)}">`;
    return v.broken ? `${open}\n    <failure message="${xml(v.message)}">${xml(v.message)}</failure>\n  </testcase>` : `${open}</testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="${xml(suite)}" tests="${verdicts.length}" failures="${failures}" errors="0">\n${cases.join("\n")}\n</testsuite>\n`;
}

export function writeJunit(file: string, verdicts: readonly Verdict[]): void {
  writeFileAtomic(file, junitXml(verdicts));
}
