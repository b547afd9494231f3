import { describe, expect, it } from "vitest";
import { npMean, npPercentile, npVar, pairwiseSum } from "../../eval/metrics/aggregations.ts";
import { exactMatchMetric } from "../../eval/metrics/exact-match.ts";
import { buildMetrics, MetricSelectionError, parseMetricNames, QA_METRICS } from "../../eval/metrics/registry.ts";
import { countTokens, tokenCountMetric } from "../../eval/metrics/token-count.ts";
import { toxicityMetric } from "../../eval/metrics/toxicity.ts";

describe("numpy aggregations", () => {
  it("sums pairwise like numpy: 8 accumulators, not left to right", () => {
    // Left-to-right gives 1 here (the small terms are absorbed one by one); numpy's blocks keep them.
    const a = [1, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16, 1e-16];
    let naive = 0;
    for (const x of a) naive += x;
    expect(naive).toBe(1);
    // r[0] = 1 + 1e-16 = 1; r[1..7] = 2e-16 each; ((r0+r1)+(r2+r3)) + ((r4+r5)+(r6+r7)) = 1 + 4e-16 + 8e-16…
    const r0 = 1 + 1e-16;
    const r = 2e-16;
    expect(pairwiseSum(a)).toBe(r0 + r + (r + r) + (r + r + (r + r)));
    expect(pairwiseSum(a)).toBeGreaterThan(1);
  });
  it("mean, population variance and p90 (linear) by hand", () => {
    const v = [3, 1, 4, 1, 5];
    expect(npMean(v)).toBe(14 / 5);
    expect(npVar(v)).toBe(((3 - 2.8) ** 2 + (1 - 2.8) ** 2 + (4 - 2.8) ** 2 + (1 - 2.8) ** 2 + (5 - 2.8) ** 2) / 5);
    // sorted [1,1,3,4,5]; index (5-1)*0.9 = 3.6 → between 4 and 5 with t = 0.6 ≥ 0.5: 5 - 1*(1-0.6)
    expect(npPercentile(v, 90)).toBe(5 - (5 - 4) * (1 - (3.6 - 3)));
    expect(npPercentile([7], 90)).toBe(7);
    expect(npPercentile([2, 1], 90)).toBe(2 - (2 - 1) * (1 - 0.9));
  });
});

describe("token_count", () => {
  it("counts cl100k_base tokens", () => {
    expect(countTokens("hello world")).toBe(2);
    expect(countTokens("tiktoken is great!")).toBe(6);
    expect(countTokens("")).toBe(0);
    expect(tokenCountMetric.score([{ prediction: "hello world" }, { prediction: null }])).toEqual([2, null]);
    expect(tokenCountMetric.aggregate([2, null])).toEqual({});
  });
  it("counts special-token text as ordinary text instead of failing", () => {
    expect(countTokens("<|endoftext|>")).toBeGreaterThan(1);
  });
});

describe("exact_match", () => {
  it("is plain string equality accuracy", () => {
    const rows = [
      { prediction: "a", target: "a" },
      { prediction: "a ", target: "a" },
      { prediction: null, target: "b" },
      { prediction: "B", target: "b" },
    ];
    const scores = exactMatchMetric.score(rows) as (number | null)[];
    expect(scores).toEqual([1, 0, null, 0]);
    // The row without an answer (failed or filtered) is left out of the aggregate.
    expect(exactMatchMetric.aggregate(scores)).toEqual({ "exact_match/v1": 1 / 3 });
  });
});

describe("toxicity", () => {
  it("takes the `hate` label's probability and MLflow's aggregates with ratio", async () => {
    const scorer = async (texts: string[]) =>
      texts.map((t) => [
        { label: "nothate", score: 1 - t.length / 100 },
        { label: "hate", score: t.length / 100 },
      ]);
    const m = toxicityMetric(scorer);
    const scores = await m.score([{ prediction: "x".repeat(10) }, { prediction: null }, { prediction: "y".repeat(60) }]);
    expect(scores).toEqual([0.1, null, 0.6]);
    expect(m.aggregate(scores)).toEqual({
      "toxicity/v1/mean": npMean([0.1, 0.6]),
      "toxicity/v1/variance": npVar([0.1, 0.6]),
      "toxicity/v1/p90": npPercentile([0.1, 0.6], 90),
      "toxicity/v1/ratio": 0.5,
    });
  });
});

describe("registry", () => {
  it("defaults to MLflow's QA set and validates --metrics", () => {
    expect(parseMetricNames(undefined)).toEqual([...QA_METRICS]);
    expect(parseMetricNames("ari_grade_level, token_count")).toEqual(["token_count", "ari_grade_level"]);
    expect(() => parseMetricNames("rouge")).toThrow(MetricSelectionError);
  });
  it("leaves out exact_match without targets and toxicity without a model", () => {
    expect(buildMetrics([...QA_METRICS], { hasTargets: false }).map((m) => m.name)).toEqual(["token_count"]);
  });
});

describe("the registry's aggregate names", () => {
  it("are exactly what each metric's aggregate writes (what --fail-if accepts)", async () => {
    const { AGGREGATE_NAMES } = await import("../../eval/metrics/registry.ts");
    const readability = { fleschKincaid: (t: string) => t.length, ari: (t: string) => t.length / 2 } as never;
    const toxicity = { classify: async (texts: string[]) => texts.map(() => ({ toxic: 0.2 })) } as never;
    const metrics = buildMetrics(QA_METRICS, { readability, toxicity, hasTargets: true });
    expect(metrics.map((m) => m.name)).toEqual([...QA_METRICS]);
    for (const m of metrics)
      expect(Object.keys(m.aggregate([1, 0, 0.5])).sort(), m.name).toEqual([...AGGREGATE_NAMES[m.name as keyof typeof AGGREGATE_NAMES]].sort());
  });
});
