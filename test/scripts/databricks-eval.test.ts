// `evallab eval --on databricks` against the fake workspace; the success path runs the real notebook.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { installJobs, type NotebookExecution } from "../fakes/databricks-jobs.ts";
import { runCli } from "../helpers/cli.ts";
import { READABILITY_ENV } from "../helpers/eval-env.ts";
import { CLUSTER_ID, type LabWorld, labWorld, NOTEBOOK_PATH, VOLUME_PATH } from "../helpers/lab-world.ts";
import { runPython, tiktokenCache } from "../helpers/python.ts";
import { TEXTSTAT_ROWS } from "../helpers/textstat-fixture.ts";
import { REPO_ROOT, tempDir } from "../helpers/tmp.ts";

const NOTEBOOK = join(REPO_ROOT, "eval", "notebooks", "qa_evaluation.py");
const worlds: LabWorld[] = [];
afterEach(async () => {
  for (const w of worlds.splice(0)) await w.stop();
});

async function deployedWorld(): Promise<LabWorld> {
  const w = await labWorld();
  worlds.push(w);
  const up = await runCli(["up", "--skip-preflight", "--no-wait"], { cwd: w.cwd, env: w.env });
  if (up.code !== 0) throw new Error(up.stderr);
  return w;
}

/** The fake cluster's notebook runner: the real notebook under the venv's Python and real MLflow. */
function realNotebook(w: LabWorld, workspaceRoot: string, filesRoot = tempDir()) {
  const scratch = tempDir();
  // The cluster sees the workspace under /Workspace and the lab's volume under /Volumes (FUSE mounts).
  const toLocal = (p: string) =>
    p.startsWith("/Workspace") ? join(workspaceRoot, p.slice("/Workspace".length)) : p.startsWith("/Volumes") ? join(filesRoot, p.slice("/Volumes".length)) : p;
  return async (path: string, params: Record<string, string>): Promise<NotebookExecution> => {
    if (path !== NOTEBOOK_PATH) return { error: `Notebook not found: ${path}` };
    const args = [NOTEBOOK, "--experiment", `databricks-experiment-${params.experiment}`];
    for (const k of ["inputs_column", "targets_column", "max_inline_rows", "scorers", "guidelines", "judge_deployment", "engine", "predictions_column"]) {
      if (params[k] !== undefined) args.push(`--${k.replaceAll("_", "-")}`, params[k]);
    }
    for (const k of ["dataset", "table_dir", "progress_path"]) if (params[k]) args.push(`--${k.replaceAll("_", "-")}`, toLocal(params[k]));
    const r = await runPython(args, {
      cwd: scratch,
      env: {
        HOME: scratch,
        NLTK_DATA: READABILITY_ENV.NLTK_DATA,
        TIKTOKEN_CACHE_DIR: tiktokenCache(join(scratch, "tiktoken")),
        MLFLOW_TRACKING_URI: `sqlite:///${join(scratch, "mlflow.db")}`,
        // The cluster's spark_env_vars (the key resolved from the secret scope).
        AZURE_OPENAI_ENDPOINT: w.openai.url,
        AZURE_OPENAI_API_KEY: w.openai.opts.apiKey,
        AZURE_OPENAI_API_VERSION: "2024-10-21",
        AZURE_OPENAI_DEPLOYMENT: "gpt-35-turbo",
        EVALLAB_SPARK_MASTER: "local[2]",
      },
    });
    const line = r.stdout.split("\n").find((l) => l.startsWith("EVALLAB_NOTEBOOK_EXIT "));
    if (r.code !== 0 || !line) return { error: r.stderr.trim().split("\n").pop(), errorTrace: r.stderr };
    const exit = JSON.parse(line.slice("EVALLAB_NOTEBOOK_EXIT ".length));
    if (exit.table_path) exit.table_path = `/Workspace${exit.table_path.slice(workspaceRoot.length)}`;
    if (exit.table_jsonl_path) exit.table_jsonl_path = `/Volumes${exit.table_jsonl_path.slice(filesRoot.length)}`;
    return { result: JSON.stringify(exit) };
  };
}

describe("evallab eval --on databricks", () => {
  it("starts the terminated cluster, runs the deployed notebook once, and brings MLflow's results and verdicts home", async () => {
    const w = await deployedWorld();
    w.dbx.clusters.get(CLUSTER_ID)!.state = "TERMINATED";
    const root = tempDir();
    const jobs = installJobs(w.dbx, { execute: realNotebook(w, root), workspaceRoot: root });
    const out = join(w.cwd, "remote");
    const r = await runCli(["eval", "--on", "databricks", "--targets", "ground_truth", "--scorers", "correctness,safety", "--out", out], {
      cwd: w.cwd,
      env: w.env,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(w.dbx.calls.filter((c) => c.path === "/api/2.1/clusters/start")).toHaveLength(1);
    expect(jobs.runs.size).toBe(1);
    const submit = w.dbx.calls.find((c) => c.path === "/api/2.2/jobs/runs/submit")?.body as Record<string, any>;
    expect(submit.tasks[0]).toMatchObject({ existing_cluster_id: CLUSTER_ID, notebook_task: { notebook_path: NOTEBOOK_PATH, source: "WORKSPACE" } });
    expect(submit.idempotency_token).toMatch(/^[0-9a-f-]{36}$/);
    expect(w.openai.completed.filter((q) => q.messages.length === 2).map((q) => q.messages[1].content)).toEqual(["What is MLflow?", "What is Spark?"]);
    expect(w.openai.judgeRequests.map((j) => j.scorer).sort()).toEqual(["correctness", "correctness", "safety", "safety"]);

    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"));
    expect(Object.keys(metrics)).toContain("flesch_kincaid_grade_level/v1/mean");
    const table = JSON.parse(readFileSync(join(out, "eval_results_table.json"), "utf8"));
    expect(table.columns.slice(0, 4)).toEqual(["inputs", "ground_truth", "outputs", "token_count"]);
    // MLflow 3's own scorers judged on the cluster (the fake reads MLflow's prompts): the lab's default
    // answers state none of the expected facts, and nothing unsafe.
    expect(metrics).toMatchObject({ "correctness/mean": 0, "safety/mean": 1 });
    const col = (name: string) => table.data.map((row: unknown[]) => row[table.columns.indexOf(name)]);
    expect([col("correctness/value"), col("safety/value")]).toEqual([
      ["no", "no"],
      ["yes", "yes"],
    ]);
    expect(existsSync(join(out, "report.html"))).toBe(true);
    expect(r.stderr).toMatch(new RegExp(`MLflow run: ${w.dbx.url}/ml/experiments/\\d+/runs/[0-9a-f]{32}`));

    // Local and cluster results side by side.
    const local = join(w.cwd, "local");
    expect((await runCli(["eval", "--out", local, "--endpoint", w.openai.url, "--api-key", w.openai.opts.apiKey], { cwd: w.cwd, env: w.env })).code).toBe(0);
    const cmp = await runCli(["compare", local, out, "--json"], { cwd: w.cwd, env: w.env });
    expect(cmp.code, cmp.stderr).toBe(0);
    const { matrix } = JSON.parse(cmp.stdout) as { matrix: { metric: string; diffs: (number | null)[] }[] };
    const fk = matrix.find((x) => x.metric === "flesch_kincaid_grade_level/v1/mean");
    expect(Math.abs(fk?.diffs[1] ?? 1)).toBeLessThanOrEqual(1e-9);
  }, 240_000);

  it("streams a dataset too large for a notebook parameter to the lab's volume and passes its path", async () => {
    const w = await deployedWorld();
    const root = tempDir();
    w.dbx.filesRoot = tempDir();
    let seen: Record<string, string> = {};
    installJobs(w.dbx, {
      workspaceRoot: root,
      execute: async (_p, params) => {
        seen = params;
        const file = join(w.dbx.filesRoot as string, params.dataset.slice("/Volumes".length));
        const n = readFileSync(file, "utf8").trim().split("\n").length;
        return {
          result: JSON.stringify({ run_id: "r".repeat(32), experiment_id: "4242", metrics: { rows: n }, table: { columns: ["inputs", "outputs"], data: [] } }),
        };
      },
    });
    const data = join(w.cwd, "big.jsonl");
    writeFileSync(data, Array.from({ length: 400 }, (_, i) => JSON.stringify({ inputs: `A longer question number ${i} about MLflow?` })).join("\n"));
    const r = await runCli(["eval", "--on", "databricks", "--data", data, "--out", join(w.cwd, "o")], { cwd: w.cwd, env: w.env });
    expect(r.code, r.stderr).toBe(0);
    expect(seen.dataset).toMatch(new RegExp(`^${VOLUME_PATH}/datasets/[0-9a-f]{16}\\.jsonl$`));
    expect(seen.engine).toBe("auto");
    expect(JSON.parse(readFileSync(join(w.cwd, "o", "metrics.json"), "utf8"))).toEqual({ rows: 400 });
    expect(w.dbx.calls.some((c) => c.path === "/api/2.0/workspace/import")).toBe(false);
  }, 120_000);

  it("prints the notebook's error and the run page on failure, and exits non-zero", async () => {
    const w = await deployedWorld();
    installJobs(w.dbx, {
      workspaceRoot: tempDir(),
      execute: async () => ({
        error: "KeyError: 'AZURE_OPENAI_API_KEY'",
        errorTrace: "Traceback (most recent call last):\n  File \"<command-1>\", line 3\nKeyError: 'AZURE_OPENAI_API_KEY'",
      }),
    });
    const r = await runCli(["eval", "--on", "databricks", "--out", join(w.cwd, "o")], { cwd: w.cwd, env: w.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/the notebook run failed \(FAILED\): KeyError: 'AZURE_OPENAI_API_KEY'/);
    expect(r.stderr).toMatch(/run page: http:\/\/127\.0\.0\.1:\d+\/#job\/runs\/\d+/);
    expect(existsSync(join(w.cwd, "o", "metrics.json"))).toBe(false);
  }, 120_000);

  it("survives lost connections while submitting and polling without running twice", async () => {
    const w = await deployedWorld();
    const jobs = installJobs(w.dbx, {
      workspaceRoot: tempDir(),
      dropSubmitResponses: 1,
      dropGets: 2,
      execute: async () => ({
        result: JSON.stringify({
          run_id: "f".repeat(32),
          experiment_id: "4242",
          metrics: { "exact_match/v1": 0 },
          table: { columns: ["inputs"], data: [["q"]] },
        }),
      }),
    });
    const r = await runCli(["eval", "--on", "databricks", "--out", join(w.cwd, "o")], { cwd: w.cwd, env: w.env });
    expect(r.code, r.stderr).toBe(0);
    expect(w.dbx.calls.filter((c) => c.path === "/api/2.2/jobs/runs/submit").length).toBe(2);
    expect(jobs.runs.size).toBe(1);
  }, 120_000);

  it("takes 100,000 rows through Spark on the cluster: streamed up and down, metrics equal to the local engine's", async () => {
    const w = await deployedWorld();
    const root = tempDir();
    const filesRoot = tempDir();
    w.dbx.filesRoot = filesRoot;
    const jobs = installJobs(w.dbx, { execute: realNotebook(w, root, filesRoot), workspaceRoot: root });
    const texts = TEXTSTAT_ROWS.map((r) => r.text);
    const data = join(w.cwd, "big.jsonl");
    writeFileSync(data, `${Array.from({ length: 100_000 }, (_, i) => JSON.stringify({ q: `q${i}`, a: texts[i % texts.length] })).join("\n")}\n`);
    const out = join(w.cwd, "big-remote");
    const args = ["eval", "--data", data, "--inputs-column", "q", "--predictions", "a", "--metrics", "token_count,flesch_kincaid_grade_level,ari_grade_level"];
    const r = await runCli([...args, "--on", "databricks", "--out", out], { cwd: w.cwd, env: w.env });
    expect(r.code, r.stderr).toBe(0);
    expect(jobs.runs.size).toBe(1);
    // Up through the Files API into the lab's volume, chunked (streamed); no workspace import.
    const put = w.dbx.calls.find((c) => c.method === "PUT" && c.path.startsWith(`/api/2.0/fs/files${VOLUME_PATH}/datasets/`));
    expect(put).toMatchObject({ status: 204, chunked: true });
    expect(w.dbx.calls.some((c) => c.path === "/api/2.0/workspace/import")).toBe(false);
    const submit = w.dbx.calls.find((c) => c.path === "/api/2.2/jobs/runs/submit")?.body as Record<string, any>;
    expect(submit.tasks[0].notebook_task.base_parameters).toMatchObject({ engine: "spark", predictions_column: "a", table_dir: `${VOLUME_PATH}/results` });
    // Down the same way, into the same files as a local run.
    expect(w.dbx.calls.some((c) => c.method === "GET" && c.path.endsWith("-eval_results_table.jsonl") && c.status === 200)).toBe(true);
    const remote = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"));
    const table = JSON.parse(readFileSync(join(out, "eval_results_table.json"), "utf8"));
    expect(table.data).toHaveLength(100_000);
    const local = join(w.cwd, "big-local");
    expect((await runCli([...args, "--out", local], { cwd: w.cwd, env: w.env })).code).toBe(0);
    const localMetrics = JSON.parse(readFileSync(join(local, "metrics.json"), "utf8"));
    expect(Object.keys(remote).sort()).toEqual(Object.keys(localMetrics).sort());
    for (const [k, v] of Object.entries(localMetrics)) expect(Math.abs(remote[k] - (v as number)), k).toBeLessThanOrEqual(1e-9);
    const localTable = JSON.parse(readFileSync(join(local, "eval_results_table.json"), "utf8"));
    expect(table.columns).toEqual(localTable.columns);
    expect(table.data.map((row: unknown[]) => row[2])).toEqual(localTable.data.map((row: unknown[]) => row[2]));
  }, 480_000);
});
