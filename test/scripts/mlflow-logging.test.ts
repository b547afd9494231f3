// `evallab eval --mlflow` against a real MLflow tracking server, read back through MLflow's own API.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FakeAzureOpenAI } from "../fakes/azure-openai.ts";
import { runCli } from "../helpers/cli.ts";
import { fakeEnv } from "../helpers/eval-env.ts";
import { startMlflowServer } from "../helpers/mlflow-server.ts";
import { tempDir } from "../helpers/tmp.ts";

const server = await startMlflowServer(tempDir());
const fake = await new FakeAzureOpenAI().start();
afterAll(async () => {
  await fake.stop();
  await server.stop();
});

const api = async (path: string): Promise<any> => (await fetch(`${server.url}/api/2.0/mlflow/${path}`)).json();

describe("evallab eval --mlflow with a real MLflow server", () => {
  it("creates the run with params, every metric, tags and the table artifact, then finishes it", async () => {
    const cwd = tempDir();
    const out = join(cwd, "run");
    const env = { ...fakeEnv(fake), MLFLOW_TRACKING_URI: server.url, MLFLOW_EXPERIMENT_NAME: "lab-tests" };
    const r = await runCli(["eval", "--out", out, "--mlflow", "--scorers", "correctness,safety"], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    const runUrl = /MLflow run: (\S+)/.exec(r.stderr)?.[1] ?? "";
    const runId = runUrl.split("/").pop() ?? "";
    expect(runUrl).toMatch(new RegExp(`^${server.url}/#/experiments/\\d+/runs/[0-9a-f]{32}$`));

    const { run } = await api(`runs/get?run_id=${runId}`);
    expect(run.info.status).toBe("FINISHED");
    const exp = await api(`experiments/get?experiment_id=${run.info.experiment_id}`);
    expect(exp.experiment.name).toBe("lab-tests");
    const params = Object.fromEntries(run.data.params.map((p: { key: string; value: string }) => [p.key, p.value]));
    expect(params).toMatchObject({
      deployment: "gpt-35-turbo",
      api_version: "2024-10-21",
      dataset: "bundled lab-qa.jsonl",
      inputs_column: "inputs",
      targets_column: "ground_truth",
    });
    expect(params.dataset_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(params.system_prompt).toBe("Please answer the following question in formal language.");
    const logged = Object.fromEntries(run.data.metrics.map((m: { key: string; value: number }) => [m.key, m.value]));
    expect(logged).toEqual(JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")));
    // Judged scorers as mlflow.genai.evaluate logs them: <name>/mean, with the judge in the params.
    expect(logged).toMatchObject({ "correctness/mean": 0, "safety/mean": 1 });
    expect(params).toMatchObject({ scorers: "correctness,safety", judge_deployment: "gpt-35-turbo" });
    const tags = Object.fromEntries(run.data.tags.map((t: { key: string; value: string }) => [t.key, t.value]));
    expect(tags["mlflow.source.name"]).toBe("evallab");

    const artifacts = await api(`artifacts/list?run_id=${runId}`);
    expect(artifacts.files.map((f: { path: string }) => f.path)).toEqual(["eval_results_table.json"]);
    const download = await fetch(`${server.url}/get-artifact?path=eval_results_table.json&run_uuid=${runId}`);
    expect(await download.text()).toBe(readFileSync(join(out, "eval_results_table.json"), "utf8"));
  }, 120_000);

  it("keeps the local results when MLflow cannot be reached, and says how to log them later", async () => {
    const cwd = tempDir();
    const out = join(cwd, "run");
    const env = { ...fakeEnv(fake), MLFLOW_TRACKING_URI: "http://127.0.0.1:9" };
    const r = await runCli(["eval", "--out", out, "--mlflow", "--metrics", "token_count"], { cwd, env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not log to MLflow \(cannot reach MLflow at http:\/\/127\.0\.0\.1:9/);
    expect(r.stderr).toContain(`evallab eval --resume ${out} --mlflow`);
    expect(JSON.parse(readFileSync(join(out, "eval_results_table.json"), "utf8")).data).toHaveLength(2);
  });
});

describe("evallab eval --mlflow to the lab's Databricks experiment (default)", () => {
  it("logs to the deployed lab's experiment, uploading the table through a signed URL", async () => {
    const { labWorld } = await import("../helpers/lab-world.ts");
    const { blobHandler, installMlflow } = await import("../fakes/databricks-mlflow.ts");
    const w = await labWorld();
    try {
      expect((await runCli(["up", "--skip-preflight", "--no-wait"], { cwd: w.cwd, env: w.env })).code).toBe(0);
      const mlflow = installMlflow(w.dbx, ["4242"]);
      w.dbx.rawRoutes.push(blobHandler(mlflow.runs));
      const out = join(w.cwd, "run");
      const r = await runCli(["eval", "--out", out, "--mlflow", "--endpoint", w.openai.url, "--api-key", w.openai.opts.apiKey], { cwd: w.cwd, env: w.env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`MLflow run: ${w.dbx.url}/ml/experiments/4242/runs/[0-9a-f]{32}`));
      const [run] = [...mlflow.runs.values()];
      expect(run.status).toBe("FINISHED");
      expect(run.metrics).toEqual(JSON.parse(readFileSync(join(out, "metrics.json"), "utf8")));
      expect(run.artifacts["eval_results_table.json"].toString("utf8")).toBe(readFileSync(join(out, "eval_results_table.json"), "utf8"));
    } finally {
      await w.stop();
    }
  }, 120_000);

  it("splits metrics and params into batches within MLflow's log-batch limits", async () => {
    const { FakeDatabricks } = await import("../fakes/databricks.ts");
    const { installMlflow } = await import("../fakes/databricks-mlflow.ts");
    const { MlflowClient } = await import("../../scripts/mlflow/client.ts");
    const { logEvaluation } = await import("../../scripts/mlflow/log-run.ts");
    const { writeFileSync } = await import("node:fs");
    const dbx = await new FakeDatabricks().start();
    try {
      const mlflow = installMlflow(dbx, ["1"]);
      const dir = tempDir();
      writeFileSync(join(dir, "metrics.json"), JSON.stringify(Object.fromEntries(Array.from({ length: 2500 }, (_, i) => [`m${i}`, i]))));
      writeFileSync(join(dir, "eval_results_table.json"), "{}");
      dbx.rawRoutes.push((req, res) => {
        if (!req.url?.startsWith("/blob/")) return false;
        res.writeHead(201).end();
        return true;
      });
      const client = new MlflowClient({ host: dbx.url, kind: "databricks", headers: async () => ({ authorization: `Bearer ${dbx.token}` }) });
      const params = Object.fromEntries(Array.from({ length: 150 }, (_, i) => [`p${i}`, "v".repeat(7000)]));
      await logEvaluation(client, { experimentId: "1", runName: "batches", outDir: dir, params });
      expect(mlflow.batches.map((b) => [b.metrics, b.params])).toEqual([
        [1000, 0],
        [1000, 0],
        [500, 0],
        [0, 100],
        [0, 50],
      ]);
      const [run] = [...mlflow.runs.values()];
      expect(Object.keys(run.metrics)).toHaveLength(2500);
      expect(run.params.p0).toHaveLength(6000);
    } finally {
      await dbx.stop();
    }
  });
});
