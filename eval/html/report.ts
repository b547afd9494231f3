// `report.html`: one self-contained page per run — what ran, MLflow's aggregates, one histogram per
// score metric (mean and p90 marked), and the per-row table (sortable, filterable, paged).
import { join } from "node:path";
import { writeFileAtomic } from "../atomic-write.ts";
import { TABLE_FILE } from "../report.ts";
import { histogram } from "./histogram.ts";
import { selfContainedPage } from "./page.ts";
import { columnValues, type RunFolder, scoreColumns } from "./run-folder.ts";

export const REPORT_FILE = "report.html";

/** What only the caller knows: the deployment type and a cost estimate from its price list. */
export interface ReportExtras {
  deploymentType?: string;
  cost?: string;
}

export function reportData(run: RunFolder, extras: ReportExtras = {}) {
  const scores = scoreColumns(run); // scans every row: once
  const o = run.options;
  const s = run.summary;
  const marks: Record<number, [string, string]> = {};
  for (const m of s?.rows ?? []) marks[m.row] = [m.status, m.reason];
  return {
    title: `evallab report: ${o?.deployment ?? "static predictions"} on ${o?.data?.split("/").pop() ?? "the dataset"}`,
    run: {
      model: o?.model,
      deployment: o?.deployment,
      staticPredictions: o !== undefined && o.deployment === undefined,
      deploymentType: extras.deploymentType,
      endpointHost: o?.endpoint ? safeHost(o.endpoint) : undefined,
      apiVersion: o?.apiVersion,
      dataset: o?.data,
      datasetSha256: o?.dataSha256,
      counts: s?.counts ?? { rows: run.data.length },
      startedAt: s?.startedAt,
      finishedAt: s?.finishedAt,
      tokens: s?.tokens,
      cost: extras.cost,
      fatal: s?.fatal,
    },
    metrics: run.metrics,
    columns: run.columns,
    marks,
    numeric: scores.map((c) => c.name),
    charts: scores.flatMap(({ name, index }) => {
      const h = histogram(columnValues(run, index));
      return h ? [{ name, index, ...h }] : [];
    }),
  };
}

/** The endpoint's host only: a URL could carry credentials or a query. */
function safeHost(endpoint: string): string | undefined {
  try {
    return new URL(endpoint).host;
  } catch {
    return undefined;
  }
}

/** Write `<run.dir>/report.html` from the folder's results; returns its path. */
export function writeReport(run: RunFolder, extras: ReportExtras = {}): string {
  const data = reportData(run, extras);
  const file = join(run.dir, REPORT_FILE);
  writeFileAtomic(file, selfContainedPage({ title: data.title, app: "report", data, tableFile: join(run.dir, TABLE_FILE) }));
  return file;
}
