// What every evaluation started from the command line shares (`eval` and `lab`): the bundled dataset, the
// metric loaders, and the exit code a result means.

import { resolve } from "node:path";
import { writeReport } from "../eval/html/report.ts";
import { type RunFolder, readRunFolder } from "../eval/html/run-folder.ts";
import { Readability } from "../eval/metrics/readability/index.ts";
import { AGGREGATE_NAMES, type MetricName } from "../eval/metrics/registry.ts";
import { DEFAULT_TOXICITY_MODEL, loadToxicityScorer } from "../eval/metrics/toxicity.ts";
import type { EvalResult } from "../eval/run.ts";
import { judge, type Threshold, writeJunit } from "../eval/thresholds.ts";
import { EXIT, type Io } from "./commands/command.ts";
import { tokenCost } from "./cost.ts";

export const BUNDLED_DATASET = resolve(import.meta.dirname, "..", "eval", "datasets", "lab-qa.jsonl");

/** What every local evaluation loads its metrics with (`--toxicity-model`, else EVALLAB_TOXICITY_MODEL). */
export function metricLoaders(io: Io, toxicityModel?: string) {
  return {
    loadReadability: () => Readability.load({ env: io.env }),
    loadToxicity: () => loadToxicityScorer(toxicityModel ?? io.env.EVALLAB_TOXICITY_MODEL ?? DEFAULT_TOXICITY_MODEL),
    warn: (m: string) => io.err(`warning: ${m}`),
  };
}

/** 0 done · 2 a fatal setup error stopped it · 1 some rows failed. */
export function evalExitCode(result: EvalResult): number {
  return result.fatal ? EXIT.setup : result.counts.failed > 0 ? EXIT.failedRows : EXIT.ok;
}

/**
 * Write the folder's report.html, with a cost estimate where the model's price is recorded. A report
 * that cannot be written is a warning: the results themselves are already safe on disk.
 */
export function writeRunReport(io: Io, outDir: string, deploymentType?: string): void {
  try {
    writeReportOf(io, readRunFolder(outDir), deploymentType);
  } catch (e) {
    io.err(`warning: report.html not written (${(e as Error).message}); make it later with: evallab report ${outDir}`);
  }
}

/** Write a read run's report.html, with a cost estimate where the model's price is recorded, and say where. */
export function writeReportOf(io: Io, run: RunFolder, deploymentType?: string): void {
  const model = run.options?.model ?? run.options?.deployment;
  // Without the lab's word on the type, Global Standard's list prices (the text says which were used).
  const cost = model && run.summary?.tokens ? tokenCost(model, deploymentType ?? "GlobalStandard", run.summary.tokens) : undefined;
  io.err(`report: ${writeReport(run, { cost, deploymentType })}`);
}

/** The aggregate names a run with these metrics and judged scorers can write (exact_match only with targets). */
export function computableMetrics(metrics: readonly MetricName[], hasTargets: boolean, scorers: readonly string[] = []): string[] {
  return [...metrics.filter((m) => m !== "exact_match" || hasTargets).flatMap((m) => AGGREGATE_NAMES[m]), ...scorers.map((s) => `${s}/mean`)];
}

/**
 * Judge the --fail-if thresholds on results already written: each broken one is printed with its
 * metric, value and limit, and the exit code becomes 1 (a worse code from the run itself stays).
 */
export function gate(io: Io, thresholds: readonly Threshold[], metrics: Record<string, number>, code: number, junitFile?: string | false): number {
  const verdicts = judge(thresholds, metrics);
  if (junitFile) {
    writeJunit(junitFile, verdicts);
    io.err(`junit: ${junitFile}`);
  }
  const broken = verdicts.filter((v) => v.broken);
  for (const v of verdicts) io.err(`${v.broken ? "threshold broken" : "threshold ok"}: ${v.expr} (${v.message})`);
  return broken.length && code === EXIT.ok ? EXIT.failedRows : code;
}
