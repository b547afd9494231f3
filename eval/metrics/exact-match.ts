// exact_match/v1: share of rows whose answer equals the target exactly (sklearn accuracy_score).
import type { Metric } from "./types.ts";

export const exactMatchMetric: Metric = {
  name: "exact_match",
  needsTargets: true,
  score: (rows) => rows.map((r) => (r.prediction === null ? null : Number(r.prediction === String(r.target ?? "")))),
  aggregate: (scores): Record<string, number> => {
    // Rows without an answer count as misses: the model did not produce the target.
    if (scores.length === 0) return {};
    const hits = scores.reduce<number>((n, s) => n + (s ?? 0), 0);
    return { "exact_match/v1": hits / scores.length };
  },
};
