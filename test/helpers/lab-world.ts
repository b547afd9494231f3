// A whole fake world for the life-cycle commands: ARM, Databricks and Azure OpenAI on loopback, the
// real cdktf CLI with the fake terraform, and a temp project folder using this repo's app.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach } from "vitest";
import { FakeArm } from "../fakes/arm.ts";
import { FakeAzureOpenAI } from "../fakes/azure-openai.ts";
import { FakeDatabricks } from "../fakes/databricks.ts";
import { labWorkdir } from "./cdktf-cli.ts";
import { READABILITY_ENV } from "./eval-env.ts";
import { REPO_ROOT } from "./tmp.ts";

export const FAKE_TERRAFORM = join(REPO_ROOT, "test", "fakes", "bin", "terraform");
export const CLUSTER_ID = "1129-101500-lab0001";
export const NOTEBOOK_PATH = "/Users/ana@example.com/evallab/qa_evaluation";
export const VOLUME_PATH = "/Volumes/dbw_evallab_lab001/evallab_lab/files";

export interface LabWorld {
  cwd: string;
  arm: FakeArm;
  dbx: FakeDatabricks;
  openai: FakeAzureOpenAI;
  env: Record<string, string>;
  terraformCalls(): { stack: string; args: string[] }[];
  secrets: string[];
  stop(): Promise<void>;
}

export async function labWorld(): Promise<LabWorld> {
  const [arm, dbx, openai] = await Promise.all([new FakeArm().start(), new FakeDatabricks().start(), new FakeAzureOpenAI().start()]);
  dbx.addCluster(CLUSTER_ID);
  const cwd = labWorkdir();
  const log = join(cwd, "terraform-calls.jsonl");
  const outputs = join(cwd, "fake-outputs.json");
  writeFileSync(
    outputs,
    JSON.stringify({
      lab: {
        openai_endpoint: openai.url,
        openai_deployment: "gpt-35-turbo",
        openai_model: "gpt-35-turbo 0125 Standard",
        openai_api_version: "2024-10-21",
        openai_api_key: openai.opts.apiKey,
        openai_account_name: "oai-lab",
        workspace_url: dbx.url,
        workspace_resource_id: "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Databricks/workspaces/dbw",
      },
      "lab-databricks": {
        cluster_id: CLUSTER_ID,
        cluster_url: `${dbx.url}/#setting/clusters/${CLUSTER_ID}/configuration`,
        experiment_id: "4242",
        experiment_url: `${dbx.url}/ml/experiments/4242`,
        notebook_path: NOTEBOOK_PATH,
        notebook_url: `${dbx.url}/#notebook/77`,
        volume_path: VOLUME_PATH,
      },
    }),
  );
  const env = {
    ...arm.env(),
    ...READABILITY_ENV,
    TERRAFORM_BINARY_NAME: FAKE_TERRAFORM,
    FAKE_TERRAFORM_LOG: log,
    FAKE_TERRAFORM_OUTPUTS: outputs,
    DATABRICKS_TOKEN: dbx.token,
    LAB_POLL_MS: "5",
  };
  return {
    cwd,
    arm,
    dbx,
    openai,
    env,
    terraformCalls: () =>
      (existsSync(log) ? readFileSync(log, "utf8") : "")
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    secrets: [openai.opts.apiKey, dbx.token, arm.state.token],
    stop: async () => {
      await Promise.all([arm.stop(), dbx.stop(), openai.stop()]);
    },
  };
}

/** A `world()` for a test file: each one made is stopped after its test. */
export function useLabWorlds(): () => Promise<LabWorld> {
  const worlds: LabWorld[] = [];
  afterEach(async () => {
    for (const w of worlds.splice(0)) await w.stop();
  });
  return async () => {
    const w = await labWorld();
    worlds.push(w);
    return w;
  };
}

/** The stacks terraform ran `verb` (apply, destroy) on, in order. */
export const stacksRun = (w: LabWorld, verb: string) =>
  w
    .terraformCalls()
    .filter((c) => c.args[0] === verb)
    .map((c) => c.stack);
