// Two or more runs side by side: a matrix of MLflow's aggregates (runs as columns, differences against
// the first, marked where they exceed the run-to-run spread) and the rows present in several runs,
// matched by question. The same data feeds the terminal table and compare.html.
import { writeFileAtomic } from "../atomic-write.ts";
import { selfContainedPage } from "./page.ts";
import { columnValues, type RunFolder, scoreColumns } from "./run-folder.ts";

export interface MatrixRow {
  metric: string;
  values: (number | null)[];
  /** Against the first run; null where either side is missing. */
  diffs: (number | null)[];
  /** Where the difference exceeds twice its standard error (the spread expected from one run to the next). */
  beyond: boolean[];
}

export interface RowMatch {
  question: string;
  /** Per run: the answer and each score column's value, or null when the run lacks the question. */
  runs: ({ answer: unknown; scores: Record<string, number | null> } | null)[];
  changed: boolean;
}

export interface Comparison {
  runs: { label: string; dir: string; rows: number }[];
  matrix: MatrixRow[];
  scoreNames: string[];
  rows: RowMatch[];
}

/**
 * The standard error of an aggregate, where MLflow's numbers give one: a mean from its variance and
 * the count of scores (σ/√n), a proportion (exact_match, toxicity's ratio) from p(1−p)/n.
 */
function standardError(run: RunFolder, metric: string): number | undefined {
  const base = metric.replace(/\/(mean|ratio)$/, "");
  const scores = run.columns.indexOf(`${base}/score`);
  const n = scores >= 0 ? columnValues(run, scores).length : (run.summary?.counts.answered ?? run.data.length);
  if (!n) return undefined;
  if (metric.endsWith("/mean")) {
    const variance = run.metrics[`${base}/variance`];
    return typeof variance === "number" ? Math.sqrt(variance / n) : undefined;
  }
  if (metric === "exact_match/v1" || metric.endsWith("/ratio")) {
    const p = run.metrics[metric];
    return typeof p === "number" ? Math.sqrt((p * (1 - p)) / n) : undefined;
  }
  return undefined;
}

export function compareRuns(runs: RunFolder[], labels = runs.map((r) => r.dir)): Comparison {
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.metrics)))];
  const matrix = names.map((metric) => {
    const values = runs.map((r) => (typeof r.metrics[metric] === "number" ? r.metrics[metric] : null));
    const first = values[0];
    const se0 = standardError(runs[0], metric);
    const diffs = values.map((v) => (v === null || first === null ? null : v - first));
    const beyond = diffs.map((d, i) => {
      const se = standardError(runs[i], metric);
      return i > 0 && d !== null && se0 !== undefined && se !== undefined && Math.abs(d) > 2 * Math.hypot(se0, se);
    });
    return { metric, values, diffs, beyond };
  });

  const scoreNames = [...new Set(runs.flatMap((r) => scoreColumns(r).map((c) => c.name)))];
  const byQuestion = runs.map((r) => {
    const q = r.columns.indexOf("inputs");
    const a = r.columns.indexOf("outputs");
    const cols = scoreNames.map((n) => r.columns.indexOf(n));
    const map = new Map<string, { answer: unknown; scores: Record<string, number | null> }>();
    for (const row of r.data) {
      const question = String(row[q]);
      if (map.has(question)) continue; // the first occurrence stands for a repeated question
      map.set(question, {
        answer: a >= 0 ? row[a] : null,
        scores: Object.fromEntries(scoreNames.map((n, k) => [n, typeof row[cols[k]] === "number" ? (row[cols[k]] as number) : null])),
      });
    }
    return map;
  });
  const questions = [...new Set(byQuestion.flatMap((m) => [...m.keys()]))];
  const rows: RowMatch[] = [];
  for (const question of questions) {
    const per = byQuestion.map((m) => m.get(question) ?? null);
    const present = per.filter((p) => p !== null);
    if (present.length < 2) continue;
    const [p0] = present;
    const changed = present.some((p) => p.answer !== p0.answer || scoreNames.some((n) => p.scores[n] !== p0.scores[n]));
    rows.push({ question, runs: per, changed });
  }
  return { runs: runs.map((r, i) => ({ label: labels[i], dir: r.dir, rows: r.data.length })), matrix, scoreNames, rows };
}

export function writeComparePage(file: string, c: Comparison): void {
  const title = `evallab comparison of ${c.runs.length} runs`;
  writeFileAtomic(file, selfContainedPage({ title, app: "compare", data: { title, ...c } }));
}
