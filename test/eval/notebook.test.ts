// The bundled Databricks notebook, for real: plain Python with real MLflow against the fake Azure
// OpenAI, which answers with texts textstat 0.7.11 scored (test/fixtures): MLflow's numbers must be
// textstat's, and the TypeScript engine's token counts.
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { countTokens } from "../../eval/metrics/token-count.ts";
import { SYSTEM_PROMPT } from "../../eval/model/openai-qa.ts";
import { defaultAnswer, FakeAzureOpenAI } from "../fakes/azure-openai.ts";
import { notebookEnv, runNotebook } from "../helpers/notebook.ts";
import { runPython } from "../helpers/python.ts";
import { LAB_ANSWERS, numpyAggregations } from "../helpers/textstat-fixture.ts";
import { tempDir } from "../helpers/tmp.ts";

const fake = await new FakeAzureOpenAI({ script: { "What is Spark?": [429] }, answer: (q) => LAB_ANSWERS[q]?.text ?? defaultAnswer(q) }).start();
afterAll(() => fake.stop());

describe("eval/notebooks/qa_evaluation.py as a plain script", () => {
  it("runs mlflow.evaluate on the lab's rows with MLflow's names and textstat's numbers", async () => {
    const dir = tempDir();
    const env = notebookEnv(dir, fake, "2024-10-21", "gpt-35-turbo");
    const { exit, ...r } = await runNotebook(dir, env, "lab-notebook-test");

    // The requests carried the real questions, with the formal prompt; the 429 was retried.
    expect(fake.completed.map((q) => q.messages)).toEqual([
      [
        { role: "system", content: SYSTEM_PROMPT },
        { role: "user", content: "What is MLflow?" },
      ],
      [
        { role: "system", content: SYSTEM_PROMPT },
        { role: "user", content: "What is Spark?" },
      ],
    ]);
    expect(fake.requests.some((q) => q.status === 429)).toBe(true);

    expect(Object.keys(exit.metrics).sort()).toEqual(
      [
        "ari_grade_level/v1/mean",
        "ari_grade_level/v1/p90",
        "ari_grade_level/v1/variance",
        "exact_match/v1",
        "flesch_kincaid_grade_level/v1/mean",
        "flesch_kincaid_grade_level/v1/p90",
        "flesch_kincaid_grade_level/v1/variance",
      ].sort(),
    );
    // toxicity: absent, with MLflow's own warning (its model cannot be downloaded here), not a crash.
    expect(r.stderr).toMatch(/Failed to load 'toxicity' metric/);

    const { columns, data } = exit.table as { columns: string[]; data: unknown[][] };
    expect(columns).toEqual(["inputs", "ground_truth", "outputs", "token_count", "flesch_kincaid_grade_level/v1/score", "ari_grade_level/v1/score"]);
    const answers = data.map((row) => row[2] as string);
    const col = (name: string) => data.map((row) => row[columns.indexOf(name)] as number);
    expect(answers).toEqual(["What is MLflow?", "What is Spark?"].map((q) => LAB_ANSWERS[q].text));
    const fk = data.map((row) => LAB_ANSWERS[row[0] as string].flesch_kincaid_grade_level);
    const ari = data.map((row) => LAB_ANSWERS[row[0] as string].ari_grade_level);
    for (const [i, v] of col("flesch_kincaid_grade_level/v1/score").entries()) expect(Math.abs(v - fk[i])).toBeLessThanOrEqual(1e-9);
    for (const [i, v] of col("ari_grade_level/v1/score").entries()) expect(Math.abs(v - ari[i])).toBeLessThanOrEqual(1e-9);
    expect(col("token_count")).toEqual(answers.map(countTokens));
    for (const [name, scores] of [
      ["flesch_kincaid_grade_level", fk],
      ["ari_grade_level", ari],
    ] as const) {
      const agg = numpyAggregations(scores);
      for (const k of ["mean", "variance", "p90"] as const) {
        expect(Math.abs(exit.metrics[`${name}/v1/${k}`] - agg[k]), `${name}/${k}`).toBeLessThanOrEqual(1e-9);
      }
    }

    // The run exists in MLflow's store with those metrics.
    const check = await runPython(
      [
        "-c",
        "import json,mlflow,sys; r=mlflow.get_run(sys.argv[1]); print(json.dumps({'status': r.info.status, 'metrics': r.data.metrics, 'params': r.data.params}))",
        exit.run_id,
      ],
      { cwd: dir, env: { HOME: dir, MLFLOW_TRACKING_URI: env.MLFLOW_TRACKING_URI } },
    );
    const stored = JSON.parse(check.stdout.trim().split("\n").pop() ?? "{}");
    expect(stored.status).toBe("FINISHED");
    expect(stored.metrics["flesch_kincaid_grade_level/v1/mean"]).toBe(exit.metrics["flesch_kincaid_grade_level/v1/mean"]);
    expect(stored.params.deployment).toBe("gpt-35-turbo");
    expect(r.stdout + r.stderr).not.toContain(fake.opts.apiKey);
  }, 240_000);

  it("evaluates a reasoning deployment over the GA v1 API and records its reasoning tokens", async () => {
    const reasoning = await new FakeAzureOpenAI({ deployments: ["gpt-5-mini"], reasoningDeployments: ["gpt-5-mini"] }).start();
    try {
      const dir = tempDir();
      const { exit, ...r } = await runNotebook(dir, notebookEnv(dir, reasoning, "v1", "gpt-5-mini"), "lab-notebook-v1");
      // Every request went to /openai/v1/ with the deployment as the model and none was refused.
      expect(reasoning.requests.map((q) => [q.apiVersion, q.deployment, q.status])).toEqual([
        ["v1", "gpt-5-mini", 200],
        ["v1", "gpt-5-mini", 200],
      ]);
      expect(reasoning.requests.every((q) => q.maxTokens === undefined)).toBe(true);
      expect(exit.usage.reasoning_tokens).toBe(128);
      expect(exit.metrics["flesch_kincaid_grade_level/v1/mean"]).toBeGreaterThan(0);
      expect(r.stdout + r.stderr).not.toContain(reasoning.opts.apiKey);
    } finally {
      await reasoning.stop();
    }
  }, 240_000);
});

describe("the notebook's judged scorers (mlflow.genai.evaluate)", () => {
  // The dated API's azure:/ route runs in test/scripts/databricks-eval.test.ts (through --on databricks).
  it.each([["v1", "gpt-5-mini", "openai"]])(
    "judges with MLflow's own Correctness and Safety through the %s API (%s, MLflow's %s route), in the lab's run",
    async (apiVersion, deployment) => {
      // Right about MLflow, wrong about Spark: the judge (the fake, reading MLflow's prompts) says so.
      const answer = (q: string) => (q === "What is MLflow?" ? LAB_ANSWERS[q].text : defaultAnswer(q));
      const judge = await new FakeAzureOpenAI({ deployments: [deployment], answer }).start();
      try {
        const dir = tempDir();
        const { exit, ...r } = await runNotebook(dir, notebookEnv(dir, judge, apiVersion, deployment), "lab-judged", ["--scorers", "correctness,safety"]);
        expect(judge.judgeRequests.map((j) => [j.scorer, j.question]).sort()).toEqual(
          [
            ["correctness", "What is MLflow?"],
            ["correctness", "What is Spark?"],
            ["safety", ""],
            ["safety", ""],
          ].sort(),
        );
        expect(judge.requests.every((q) => q.status === 200 && q.apiVersion === apiVersion && q.deployment === deployment)).toBe(true);
        expect(exit.metrics).toMatchObject({ "correctness/mean": 0.5, "safety/mean": 1 });
        const { columns, data } = exit.table as { columns: string[]; data: unknown[][] };
        const col = (name: string) => data.map((row) => row[columns.indexOf(name)]);
        expect(col("inputs")).toEqual(["What is MLflow?", "What is Spark?"]);
        expect(col("correctness/value")).toEqual(["yes", "no"]);
        expect(col("safety/value")).toEqual(["yes", "yes"]);
        expect(col("correctness/rationale")).toEqual(["The answer states the expected facts.", "The expected facts are missing from the answer."]);
        // Same MLflow run as the QA metrics.
        const check = await runPython(["-c", "import json,mlflow,sys; print(json.dumps(mlflow.get_run(sys.argv[1]).data.metrics))", exit.run_id], {
          cwd: dir,
          env: { HOME: dir, MLFLOW_TRACKING_URI: `sqlite:///${join(dir, "mlflow.db")}` },
        });
        const stored = JSON.parse(check.stdout.trim().split("\n").pop() ?? "{}");
        expect(stored).toMatchObject({ "correctness/mean": 0.5, "safety/mean": 1 });
        expect(stored["flesch_kincaid_grade_level/v1/mean"]).toBeGreaterThan(0);
        expect(r.stdout + r.stderr).not.toContain(judge.opts.apiKey);
      } finally {
        await judge.stop();
      }
    },
    240_000,
  );
});
