// Outputs in MLflow's shapes: metrics.json (flat name → number), eval_results_table.json
// ({"columns": [...], "data": [[...]]}, streamed row by row), and the console summary.
import { closeSync, openSync, renameSync, writeSync } from "node:fs";
import { join } from "node:path";
import { tempPathFor, writeJsonAtomic } from "./atomic-write.ts";
import { table } from "./terminal.ts";

export const METRICS_FILE = "metrics.json";
export const TABLE_FILE = "eval_results_table.json";
/** What the run was like (counts, time, tokens, which rows were filtered or failed and why): for reports. */
export const SUMMARY_FILE = "run_summary.json";

export interface RunSummary {
  startedAt: string;
  finishedAt: string;
  counts: RunCounts;
  /** Tokens of the requests this folder's answers came from (absent for static predictions). */
  tokens?: { prompt: number; completion: number; reasoning: number };
  /** Table rows (0-based) that were filtered or failed, with the reason. */
  rows: { row: number; status: "filtered" | "failed"; reason: string }[];
  fatal?: string;
  stopped?: boolean;
}

/** Streams the per-row table to disk so a large dataset is never held whole. */
export class TableWriter {
  private readonly fd: number;
  private rows = 0;
  private readonly tmp: string;

  constructor(
    private readonly path: string,
    readonly columns: string[],
  ) {
    this.tmp = tempPathFor(path);
    this.fd = openSync(this.tmp, "w");
    writeSync(this.fd, `{"columns": ${JSON.stringify(columns)}, "data": [`);
  }

  add(values: unknown[]): void {
    writeSync(this.fd, `${this.rows++ ? ",\n" : "\n"}${JSON.stringify(values)}`);
  }

  /** Finish and move into place (a crash never leaves a half table under the real name). */
  close(): void {
    writeSync(this.fd, "\n]}\n");
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
  }
}

export const writeJson = writeJsonAtomic;

export interface RunCounts {
  rows: number;
  answered: number;
  filtered: number;
  failed: number;
  fromCheckpoint: number;
  retries: number;
  elapsedMs: number;
}

/** A readable summary: row counts, then each metric with its value. */
export function formatSummary(metrics: Record<string, number>, counts: RunCounts, outDir: string): string {
  return [
    `rows ${counts.rows} · answered ${counts.answered} · filtered ${counts.filtered} · failed ${counts.failed}` +
      (counts.fromCheckpoint ? ` · ${counts.fromCheckpoint} from checkpoint` : "") +
      ` · retries ${counts.retries} · ${(counts.elapsedMs / 1000).toFixed(1)}s`,
    "",
    formatMetrics(metrics),
    "",
    `results: ${join(outDir, METRICS_FILE)}, ${join(outDir, TABLE_FILE)}`,
  ].join("\n");
}

/** The metric table alone. */
export function formatMetrics(metrics: Record<string, number>): string {
  const names = Object.keys(metrics);
  if (names.length === 0) return "(no metrics)";
  return table(
    ["metric", "value"],
    names.map((n) => [n, formatNumber(metrics[n])]),
  );
}

function formatNumber(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(6);
}
