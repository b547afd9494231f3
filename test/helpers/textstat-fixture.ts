// textstat 0.7.11's own scores (test/fixtures, made by test/python/make_textstat_fixture.py), for end-to-end checks that must not trust the
// engine under test: the fake model answers with fixture texts, and the expected metrics come from
// textstat's numbers, aggregated as MLflow does (numpy mean, population variance, linear p90).
import { readJsonl, TEXTSTAT_SCORES } from "./reference-data.ts";

export interface TextstatRow {
  id: string;
  text: string;
  flesch_kincaid_grade_level: number;
  ari_grade_level: number;
}

export const TEXTSTAT_ROWS: TextstatRow[] = readJsonl(TEXTSTAT_SCORES);

/** A fixture row by id (fails loudly when the fixture lacks it). */
export function textstatRow(id: string): TextstatRow {
  const row = TEXTSTAT_ROWS.find((r) => r.id === id);
  if (!row) throw new Error(`no row ${id} in textstat's fixture`);
  return row;
}

/** The lab's two questions, answered with the fixture's texts written for them. */
export const LAB_ANSWERS: Record<string, TextstatRow> = {
  "What is MLflow?": textstatRow("lab-a-mlflow"),
  "What is Spark?": textstatRow("lab-b-spark"),
};

export function labAnswer(question: string): string {
  const row = LAB_ANSWERS[question];
  if (!row) throw new Error(`no fixture answer for "${question}"`);
  return row.text;
}

/** MLflow's standard aggregations, written out independently of the engine: numpy mean, var, percentile 90. */
export function numpyAggregations(values: number[]): { mean: number; variance: number; p90: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / n;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = 0.9 * (n - 1);
  const lo = Math.floor(pos);
  const p90 = sorted[lo] + (sorted[Math.min(lo + 1, n - 1)] - sorted[lo]) * (pos - lo);
  return { mean, variance, p90 };
}
