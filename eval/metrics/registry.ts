// The metrics `evallab eval` knows, in MLflow's question-answering order, and how to pick them.

import { exactMatchMetric } from "./exact-match.ts";
import type { Readability } from "./readability/index.ts";
import { ariMetric, fleschKincaidMetric } from "./readability-metrics.ts";
import { tokenCountMetric } from "./token-count.ts";
import { type LabelScorer, toxicityMetric } from "./toxicity.ts";
import type { Metric } from "./types.ts";

/** MLflow's default question-answering metrics, in table-column order. */
export const QA_METRICS = ["exact_match", "token_count", "toxicity", "flesch_kincaid_grade_level", "ari_grade_level"] as const;
export type MetricName = (typeof QA_METRICS)[number];

/** The MLflow metric names each metric's aggregates carry (token_count has none: it is per row only). */
export const AGGREGATE_NAMES: Record<MetricName, readonly string[]> = {
  exact_match: ["exact_match/v1"],
  token_count: [],
  toxicity: ["toxicity/v1/mean", "toxicity/v1/variance", "toxicity/v1/p90", "toxicity/v1/ratio"],
  flesch_kincaid_grade_level: ["flesch_kincaid_grade_level/v1/mean", "flesch_kincaid_grade_level/v1/variance", "flesch_kincaid_grade_level/v1/p90"],
  ari_grade_level: ["ari_grade_level/v1/mean", "ari_grade_level/v1/variance", "ari_grade_level/v1/p90"],
};

export class MetricSelectionError extends Error {
  readonly exitCode = 2;
}

/** Parse `--metrics a,b,c`; unknown names fail with the known list. */
export function parseMetricNames(csv: string | undefined): MetricName[] {
  if (csv === undefined) return [...QA_METRICS];
  const names = csv
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(QA_METRICS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new MetricSelectionError(
      names.length === 0
        ? `--metrics names no metric; give some of: ${QA_METRICS.join(", ")} (or leave --metrics out for all)`
        : `unknown metric(s) ${unknown.join(", ")}; known: ${QA_METRICS.join(", ")}`,
    );
  }
  return QA_METRICS.filter((m) => names.includes(m));
}

export interface MetricDeps {
  readability?: Readability;
  toxicity?: LabelScorer;
  hasTargets: boolean;
}

/** Build the selected metrics; those whose dependency is missing (no targets, no model) are left out. */
export function buildMetrics(names: readonly MetricName[], deps: MetricDeps): Metric[] {
  const out: Metric[] = [];
  for (const name of names) {
    if (name === "exact_match" && deps.hasTargets) out.push(exactMatchMetric);
    if (name === "token_count") out.push(tokenCountMetric);
    if (name === "toxicity" && deps.toxicity) out.push(toxicityMetric(deps.toxicity));
    if (name === "flesch_kincaid_grade_level" && deps.readability) out.push(fleschKincaidMetric(deps.readability));
    if (name === "ari_grade_level" && deps.readability) out.push(ariMetric(deps.readability));
  }
  return out;
}
