// Running the bundled Databricks notebook as a plain Python script in the test venv: the cluster's
// environment pointed at a fake Azure OpenAI, MLflow in a private sqlite store, and its exit value read.
import { join } from "node:path";
import { expect } from "vitest";
import type { FakeAzureOpenAI } from "../fakes/azure-openai.ts";
import { READABILITY_ENV } from "./eval-env.ts";
import { runPython, tiktokenCache } from "./python.ts";
import { REPO_ROOT } from "./tmp.ts";

export const NOTEBOOK = join(REPO_ROOT, "eval", "notebooks", "qa_evaluation.py");

export function notebookEnv(dir: string, openai: FakeAzureOpenAI, apiVersion: string, deployment: string): Record<string, string> {
  return {
    HOME: dir,
    NLTK_DATA: READABILITY_ENV.NLTK_DATA,
    TIKTOKEN_CACHE_DIR: tiktokenCache(join(dir, "tiktoken")),
    MLFLOW_TRACKING_URI: `sqlite:///${join(dir, "mlflow.db")}`,
    AZURE_OPENAI_ENDPOINT: openai.url,
    AZURE_OPENAI_API_KEY: openai.opts.apiKey,
    AZURE_OPENAI_API_VERSION: apiVersion,
    AZURE_OPENAI_DEPLOYMENT: deployment,
  };
}

/** Run the notebook (it must succeed) and read its exit value. */
export async function runNotebook(dir: string, env: Record<string, string>, experiment: string, args: string[] = []) {
  const r = await runPython([NOTEBOOK, "--experiment", experiment, ...args], { cwd: dir, env });
  expect(r.code, r.stderr.slice(-3000)).toBe(0);
  const line = r.stdout.split("\n").find((l) => l.startsWith("EVALLAB_NOTEBOOK_EXIT "));
  return { ...r, exit: JSON.parse(line?.slice("EVALLAB_NOTEBOOK_EXIT ".length) ?? "{}") };
}
