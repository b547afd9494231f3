// A score column's distribution for the report's charts: equal-width bins (at most 30; one per
// integer where the values are integers over a small range), with MLflow's mean and p90 marked.
import { npMean, npPercentile } from "../metrics/aggregations.ts";

export interface Histogram {
  /** Left edges of the bins, then the right edge of the last. */
  edges: number[];
  counts: number[];
  n: number;
  mean: number;
  p90: number;
}

export function histogram(values: number[]): Histogram | undefined {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return undefined;
  let min = v[0];
  let max = v[0];
  for (const x of v) {
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const integers = v.every(Number.isInteger) && max - min < 30;
  const bins = integers ? Math.max(1, max - min + 1) : Math.min(30, Math.max(1, Math.ceil(Math.sqrt(v.length))));
  const width = integers ? 1 : (max - min || 1) / bins;
  const start = integers ? min - 0.5 : min;
  const counts = new Array<number>(bins).fill(0);
  for (const x of v) counts[Math.min(bins - 1, Math.floor((x - start) / width))]++;
  const edges = Array.from({ length: bins + 1 }, (_, i) => start + i * width);
  return { edges, counts, n: v.length, mean: npMean(v), p90: npPercentile(v, 90) };
}
