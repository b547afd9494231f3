// The toxicity metric's real path: transformers.js + ONNX Runtime on a tiny classifier built offline
// (test/python/make_tiny_classifier.py; logits = bias + sum of per-token weights, labels nothate/hate).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { npMean, npPercentile, npVar } from "../../eval/metrics/aggregations.ts";
import { loadToxicityScorer, toxicityMetric } from "../../eval/metrics/toxicity.ts";
import { runCli } from "../helpers/cli.ts";
import { READABILITY_ENV } from "../helpers/eval-env.ts";
import { runPython } from "../helpers/python.ts";
import { REPO_ROOT, tempDir } from "../helpers/tmp.ts";

const modelDir = join(tempDir(), "tiny-toxicity");
const made = await runPython([join(REPO_ROOT, "test", "python", "make_tiny_classifier.py"), modelDir], { cwd: REPO_ROOT, env: {} });
if (made.code !== 0) throw new Error(made.stderr);
const spec = JSON.parse(made.stdout) as { vocab: string[]; weights: Record<string, [number, number]>; bias: [number, number] };

/** The model's hate probability worked out by hand: softmax over the two summed logits. */
function expectedHate(text: string): number {
  const logits = [...spec.bias];
  for (const token of text.toLowerCase().match(/\w+|[^\w\s]+/g) ?? []) {
    const w = spec.weights[spec.vocab.includes(token) ? token : "<unk>"];
    logits[0] += w[0];
    logits[1] += w[1];
  }
  return 1 / (1 + Math.exp(logits[0] - logits[1]));
}

const texts = ["I hate you", "What a kind day", "awful awful hate", "Love, love, love."];

describe("toxicity through ONNX Runtime", () => {
  it("loads a local ONNX export and scores the `hate` label as the model computes it", async () => {
    const { scorer, warning } = await loadToxicityScorer(modelDir);
    expect(warning).toBeUndefined();
    const m = toxicityMetric(scorer!);
    const scores = (await m.score(texts.map((t) => ({ prediction: t })))) as number[];
    for (const [i, s] of scores.entries()) expect(Math.abs(s - expectedHate(texts[i])), texts[i]).toBeLessThan(1e-6);
    expect(scores[0]).toBeGreaterThan(0.5);
    expect(scores[1]).toBeLessThan(0.5);
    const agg = m.aggregate(scores);
    expect(agg["toxicity/v1/mean"]).toBe(npMean(scores));
    expect(agg["toxicity/v1/variance"]).toBe(npVar(scores));
    expect(agg["toxicity/v1/p90"]).toBe(npPercentile(scores, 90));
    expect(agg["toxicity/v1/ratio"]).toBe(0.5);
  });

  it("adds toxicity to evallab eval with --toxicity-model", async () => {
    const cwd = tempDir();
    const data = join(cwd, "answers.jsonl");
    writeFileSync(data, texts.map((t, i) => JSON.stringify({ inputs: `q${i}`, answer: t })).join("\n"));
    const out = join(cwd, "out");
    const r = await runCli(["eval", "--data", data, "--predictions", "answer", "--toxicity-model", modelDir, "--out", out], { cwd, env: READABILITY_ENV });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/toxicity skipped/);
    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"));
    expect(metrics["toxicity/v1/ratio"]).toBe(0.5);
    expect(Math.abs(metrics["toxicity/v1/mean"] - npMean(texts.map(expectedHate)))).toBeLessThan(1e-6);
    const table = JSON.parse(readFileSync(join(out, "eval_results_table.json"), "utf8"));
    expect(table.columns).toEqual(["inputs", "outputs", "token_count", "toxicity/v1/score", "flesch_kincaid_grade_level/v1/score", "ari_grade_level/v1/score"]);
  }, 120_000);
});
