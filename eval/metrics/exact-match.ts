// exact_match/v1: share of rows whose answer equals the target exactly (sklearn accuracy_score).
import type { Metric } from "./types.ts";

export const exactMatchMetric: Metric = {
  name: "exact_match",
  needsTargets: true,
  score: (rows) => rows.map((r) => (r.prediction === null ? null : Number(r.prediction === String(r.target ?? "")))),
  aggregate: (scores): Record<string, number> => {
    // Failed and filtered rows (no answer) are left out, as every other metric leaves them out.
    const answered = scores.filter((s): s is number => s !== null);
    if (answered.length === 0) return {};
    return { "exact_match/v1": answered.reduce((n, s) => n + s, 0) / answered.length };
  },
};
