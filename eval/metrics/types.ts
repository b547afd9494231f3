// The shape every metric shares: a per-row score function and MLflow-style aggregate names.

export interface ScoredRow {
  /** The model's answer; null when the row has none (filtered or failed). */
  prediction: string | null;
  target?: string | null;
}

export interface Metric {
  /** Name used with `--metrics` and in MLflow's metric keys (`toxicity`, `token_count`, …). */
  readonly name: string;
  /** Column of the per-row table: `<name>/v1/score`, or just `token_count`; none for aggregate-only metrics. */
  readonly scoreColumn?: string;
  readonly needsTargets?: boolean;
  /** Per-row scores for a batch (null where the row has no prediction). */
  score(rows: readonly ScoredRow[]): Promise<(number | null)[]> | (number | null)[];
  /** MLflow metric name → value, from every row's score. */
  aggregate(scores: readonly (number | null)[]): Record<string, number>;
}

/** Scores that exist (rows without a prediction are left out of aggregates). */
export function present(scores: readonly (number | null)[]): number[] {
  return scores.filter((s): s is number => s !== null);
}
