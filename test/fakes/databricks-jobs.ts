// Jobs 2.2 (runs/submit, runs/get, runs/get-output) and Workspace (mkdirs, import, export) for the
// fake Databricks workspace, following the real contract: idempotency tokens return the existing run,
// get-output takes a task's run id (a multi-task parent is refused), life cycle PENDING → RUNNING →
// TERMINATED with a result_state, Databricks error bodies. Workspace files live in a local folder.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import type { FakeDatabricks } from "./databricks.ts";
import { sendJson } from "./http.ts";

export interface NotebookExecution {
  result?: string;
  error?: string;
  errorTrace?: string;
}

export interface JobsOptions {
  /** Runs the notebook: parameters as submitted, workspace paths mapped into `workspaceRoot`. */
  execute: (notebookPath: string, params: Record<string, string>) => Promise<NotebookExecution>;
  workspaceRoot: string;
  /** Drop the connection of this many submit responses after the run was created. */
  dropSubmitResponses?: number;
  /** Drop the connection of this many runs/get requests. */
  dropGets?: number;
}

interface FakeRun {
  runId: number;
  taskRunId: number;
  token?: string;
  clusterId: string;
  life: "PENDING" | "RUNNING" | "TERMINATED";
  result?: "SUCCESS" | "FAILED";
  execution?: NotebookExecution;
  done: Promise<void>;
  polls: number;
}

export function installJobs(fake: FakeDatabricks, opts: JobsOptions) {
  const runs = new Map<number, FakeRun>();
  const byToken = new Map<string, number>();
  let nextId = 1000;
  let dropSubmit = opts.dropSubmitResponses ?? 0;
  let dropGets = opts.dropGets ?? 0;
  const local = (workspacePath: string) => join(opts.workspaceRoot, workspacePath.replace(/^\/Workspace/, ""));
  const error = (res: ServerResponse, status: number, code: string, message: string) => sendJson(res, status, { error_code: code, message });
  const runView = (r: FakeRun) => {
    const state = {
      life_cycle_state: r.life,
      ...(r.result ? { result_state: r.result } : {}),
      state_message: r.life === "PENDING" ? "Waiting for cluster" : "",
    };
    return {
      run_id: r.runId,
      state,
      run_page_url: `${fake.url}/#job/runs/${r.runId}`,
      tasks: [{ run_id: r.taskRunId, task_key: "qa_evaluation", state }],
    };
  };

  fake.routes.push((req: IncomingMessage, res: ServerResponse, body: unknown, url: URL) => {
    const b = body as Record<string, any>;
    if (url.pathname === "/api/2.2/jobs/runs/submit" && req.method === "POST") {
      const task = b.tasks?.[0];
      if (!task?.task_key || !task.notebook_task?.notebook_path) {
        error(res, 400, "INVALID_PARAMETER_VALUE", "Missing required field: tasks[0].notebook_task.notebook_path");
        return true;
      }
      if (!fake.clusters.has(task.existing_cluster_id)) {
        error(res, 400, "INVALID_PARAMETER_VALUE", `Cluster ${task.existing_cluster_id} does not exist`);
        return true;
      }
      let runId = b.idempotency_token ? byToken.get(b.idempotency_token) : undefined;
      if (runId === undefined) {
        runId = nextId++;
        const run: FakeRun = {
          runId,
          taskRunId: nextId++,
          token: b.idempotency_token,
          clusterId: task.existing_cluster_id,
          life: "PENDING",
          polls: 0,
          done: Promise.resolve(),
        };
        run.done = opts.execute(task.notebook_task.notebook_path, task.notebook_task.base_parameters ?? {}).then(
          (x) => {
            run.execution = x;
            run.result = x.error ? "FAILED" : "SUCCESS";
          },
          (e: Error) => {
            run.execution = { error: e.message };
            run.result = "FAILED";
          },
        );
        runs.set(runId, run);
        if (b.idempotency_token) byToken.set(b.idempotency_token, runId);
      }
      if (dropSubmit > 0) {
        dropSubmit--;
        req.socket.destroy();
        return true;
      }
      sendJson(res, 200, { run_id: runId });
      return true;
    }
    if (url.pathname === "/api/2.2/jobs/runs/get" && req.method === "GET") {
      if (dropGets > 0) {
        dropGets--;
        req.socket.destroy();
        return true;
      }
      const run = runs.get(Number(url.searchParams.get("run_id")));
      if (!run) {
        error(res, 400, "INVALID_PARAMETER_VALUE", `Run ${url.searchParams.get("run_id")} does not exist.`);
        return true;
      }
      run.polls++;
      if (run.life === "PENDING" && run.polls > 1) run.life = "RUNNING";
      if (run.life === "RUNNING" && run.result) run.life = "TERMINATED";
      sendJson(res, 200, runView(run));
      return true;
    }
    if (url.pathname === "/api/2.2/jobs/runs/get-output" && req.method === "GET") {
      const id = Number(url.searchParams.get("run_id"));
      if (runs.has(id)) {
        error(
          res,
          400,
          "INVALID_PARAMETER_VALUE",
          "Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead.",
        );
        return true;
      }
      const run = [...runs.values()].find((r) => r.taskRunId === id);
      if (!run) {
        error(res, 400, "INVALID_PARAMETER_VALUE", `Run ${id} does not exist.`);
        return true;
      }
      const x = run.execution ?? {};
      sendJson(res, 200, {
        metadata: runView(run),
        ...(x.error ? { error: x.error, error_trace: x.errorTrace ?? "" } : { notebook_output: { result: x.result ?? "", truncated: false } }),
      });
      return true;
    }
    if (url.pathname === "/api/2.0/workspace/mkdirs" && req.method === "POST") {
      mkdirSync(local(b.path), { recursive: true });
      sendJson(res, 200, {});
      return true;
    }
    if (url.pathname === "/api/2.0/workspace/import" && req.method === "POST") {
      if (typeof b.path !== "string" || !b.path.startsWith("/") || typeof b.content !== "string") {
        error(res, 400, "INVALID_PARAMETER_VALUE", "Path and content are required; the path must be absolute.");
        return true;
      }
      const content = Buffer.from(b.content, "base64");
      if (content.length > 10 * 1024 * 1024) {
        error(res, 400, "MAX_NOTEBOOK_SIZE_EXCEEDED", "File size imported is too large (max 10 MB).");
        return true;
      }
      mkdirSync(dirname(local(b.path)), { recursive: true });
      writeFileSync(local(b.path), content);
      sendJson(res, 200, {});
      return true;
    }
    if (url.pathname === "/api/2.0/workspace/export" && req.method === "GET") {
      try {
        sendJson(res, 200, { content: readFileSync(local(url.searchParams.get("path") ?? "")).toString("base64"), file_type: "json" });
      } catch {
        error(res, 404, "RESOURCE_DOES_NOT_EXIST", `Path (${url.searchParams.get("path")}) doesn't exist.`);
      }
      return true;
    }
    return false;
  });
  return { runs, local };
}
