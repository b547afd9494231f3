// A `/v1` metric with a per-row score and MLflow's standard aggregations (mean, variance, p90).
import { standardAggregations } from "./aggregations.ts";
import { type Metric, present, type ScoredRow } from "./types.ts";

export function standardMetric(name: string, scoreText: (text: string) => number, extra?: (scores: number[]) => Record<string, number>): Metric {
  return {
    name,
    scoreColumn: `${name}/v1/score`,
    score: (rows: readonly ScoredRow[]) => rows.map((r) => (r.prediction === null ? null : scoreText(r.prediction))),
    aggregate: (scores) => standardAggregates(name, present(scores), extra),
  };
}

export function standardAggregates(name: string, scores: number[], extra?: (scores: number[]) => Record<string, number>): Record<string, number> {
  if (scores.length === 0) return {};
  const agg: Record<string, number> = { ...standardAggregations(scores), ...extra?.(scores) };
  return Object.fromEntries(Object.entries(agg).map(([k, v]) => [`${name}/v1/${k}`, v]));
}
