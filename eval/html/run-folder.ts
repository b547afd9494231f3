// A finished run's folder as reports read it: metrics.json and the per-row table (required), the run's
// saved options (run.json) and its summary (run_summary.json) when there.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { METRICS_FILE, type RunSummary, SUMMARY_FILE, TABLE_FILE } from "../report.ts";
import { type RunOptions, readRunOptions } from "../run-options.ts";

export class NotARunError extends Error {
  readonly exitCode = 2;
}

export interface RunFolder {
  dir: string;
  metrics: Record<string, number>;
  columns: string[];
  data: unknown[][];
  options?: RunOptions;
  summary?: RunSummary;
}

/** The columns every table has that are not scores. */
export const TEXT_COLUMNS = new Set(["inputs", "ground_truth", "outputs"]);

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new NotARunError(`${file} is not valid JSON (${(e as Error).message.slice(0, 80)}); was the run interrupted while writing it?`);
  }
}

export function isRunFolder(dir: string): boolean {
  return existsSync(join(dir, METRICS_FILE)) && existsSync(join(dir, TABLE_FILE));
}

export function readRunFolder(dir: string): RunFolder {
  if (!isRunFolder(dir))
    throw new NotARunError(`${dir} is not an evaluation's folder (no ${METRICS_FILE} and ${TABLE_FILE}); pass folders written by \`evallab eval\``);
  const table = readJson(join(dir, TABLE_FILE)) as { columns?: unknown; data?: unknown };
  if (!Array.isArray(table.columns) || !Array.isArray(table.data)) throw new NotARunError(`${join(dir, TABLE_FILE)} has no columns and data`);
  const summaryFile = join(dir, SUMMARY_FILE);
  return {
    dir,
    metrics: readJson(join(dir, METRICS_FILE)) as Record<string, number>,
    columns: table.columns.map(String),
    data: table.data as unknown[][],
    options: readRunOptions(dir),
    summary: existsSync(summaryFile) ? (readJson(summaryFile) as RunSummary) : undefined,
  };
}

/** The table's score columns: those holding numbers (not the question, answer, truth or a judge's verdict and rationale). */
export function scoreColumns(run: RunFolder): { name: string; index: number }[] {
  return run.columns
    .map((name, index) => ({ name, index }))
    .filter((c) => !TEXT_COLUMNS.has(c.name) && run.data.every((row) => row[c.index] === null || typeof row[c.index] === "number"));
}

/** A score column's numbers, rows without a score left out. */
export function columnValues(run: RunFolder, index: number): number[] {
  const out: number[] = [];
  for (const row of run.data) if (typeof row[index] === "number") out.push(row[index] as number);
  return out;
}
