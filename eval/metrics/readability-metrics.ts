// flesch_kincaid_grade_level and ari_grade_level: textstat 0.7.11's grades per row, standard aggregates.
import type { Readability } from "./readability/index.ts";
import { standardMetric } from "./standard-metric.ts";
import type { Metric } from "./types.ts";

export function fleschKincaidMetric(readability: Readability): Metric {
  return standardMetric("flesch_kincaid_grade_level", (t) => readability.fleschKincaid(t));
}

export function ariMetric(readability: Readability): Metric {
  return standardMetric("ari_grade_level", (t) => readability.ari(t));
}
