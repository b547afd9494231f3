import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { only, synthLab } from "../helpers/synth.ts";
import { tempDir } from "../helpers/tmp.ts";

const { stacks, config } = synthLab({ LAB_REGION: "swedencentral" });
const dbx = stacks["lab-databricks"];
const cluster = only(dbx, "resource", "databricks_cluster");

describe("stack lab-databricks", () => {
  it("configures the provider from the lab stack's workspace", () => {
    const [p] = dbx.provider.databricks;
    expect(p.host).toMatch(/^https:\/\/\$\{data\.terraform_remote_state\..+workspace_url\}$/);
    expect(p.azure_workspace_resource_id).toMatch(/^\$\{data\.terraform_remote_state\..+databricksid\}$/);
  });

  it("picks the latest GA CPU ML runtime", () => {
    expect(only(dbx, "data", "databricks_spark_version")).toMatchObject({ ml: true, gpu: false, latest: true, beta: false });
    expect(cluster.spark_version).toMatch(/^\$\{data\.databricks_spark_version\..+\.id\}$/);
  });

  it("creates a single-node, single-user, no-Photon cluster that stops after 20 idle minutes", () => {
    expect(cluster).toMatchObject({
      num_workers: 0,
      node_type_id: "Standard_D4ds_v5",
      autotermination_minutes: 20,
      data_security_mode: "SINGLE_USER",
      runtime_engine: "STANDARD",
      spark_conf: { "spark.databricks.cluster.profile": "singleNode", "spark.master": "local[*]" },
      custom_tags: { ResourceClass: "SingleNode", lab: "evallab" },
    });
    expect(cluster.single_user_name).toBe("${data.databricks_current_user.me.user_name}");
  });

  it.each([
    ["4", { num_workers: 4 }, undefined],
    ["2-8", { autoscale: { min_workers: 2, max_workers: 8 } }, "num_workers"],
  ])("grows with LAB_WORKERS=%s: workers, no single-node profile, the same logical id", (workers, size, absent) => {
    const { stacks: grown } = synthLab({ LAB_REGION: "swedencentral", LAB_WORKERS: workers });
    const c = only(grown["lab-databricks"], "resource", "databricks_cluster");
    expect(c).toMatchObject({ ...size, node_type_id: "Standard_D4ds_v5", data_security_mode: "SINGLE_USER", cluster_name: "evallab-cluster" });
    expect(c.spark_conf).toBeUndefined();
    expect(c.custom_tags.ResourceClass).toBeUndefined();
    if (absent) expect(c[absent]).toBeUndefined();
    expect(Object.keys(grown["lab-databricks"].resource.databricks_cluster)).toEqual(Object.keys(dbx.resource.databricks_cluster));
  });

  it("creates the lab's Unity Catalog volume in the workspace catalog, removed with the lab", () => {
    const schema = only(dbx, "resource", "databricks_schema");
    const volume = only(dbx, "resource", "databricks_volume");
    expect(schema).toMatchObject({ catalog_name: config.names.databricksWorkspace.replaceAll("-", "_"), name: "evallab_lab", force_destroy: true });
    expect(volume).toMatchObject({ catalog_name: schema.catalog_name, name: "files", volume_type: "MANAGED" });
    expect(volume.schema_name).toMatch(/^\$\{databricks_schema\..+\.name\}$/);
    expect(dbx.output.volume_path.value).toMatch(
      /^\/Volumes\/\$\{databricks_volume\..+\.catalog_name\}\/\$\{databricks_volume\..+\.schema_name\}\/\$\{databricks_volume\..+\.name\}$/,
    );
    const custom = synthLab({ LAB_REGION: "swedencentral", LAB_VOLUME_CATALOG: "main" }).stacks["lab-databricks"];
    expect(only(custom, "resource", "databricks_schema").catalog_name).toBe("main");
  });

  it("installs the configured PyPI libraries, httpx pinned beside openai", () => {
    expect(cluster.library).toEqual([
      { pypi: { package: "openai==1.42.0" } },
      { pypi: { package: "httpx<0.28" } },
      { pypi: { package: "textstat==0.7.11" } },
      { pypi: { package: "mlflow[databricks]>=3.4" } },
    ]);
  });

  it("passes credentials as environment variables, the key only as a secret reference", () => {
    const scope = only(dbx, "resource", "databricks_secret_scope");
    const secret = only(dbx, "resource", "databricks_secret");
    expect(scope.name).toBe("evallab-lab");
    expect(secret.key).toBe("azure-openai-api-key");
    expect(secret.string_value).toMatch(/^\$\{data\.terraform_remote_state\..+primary_access_key\}$/);
    expect(cluster.spark_env_vars).toMatchObject({
      AZURE_OPENAI_API_KEY: "{{secrets/evallab-lab/azure-openai-api-key}}",
      AZURE_OPENAI_API_VERSION: "2024-10-21",
      AZURE_OPENAI_DEPLOYMENT: "gpt-35-turbo",
    });
    expect(cluster.spark_env_vars.AZURE_OPENAI_ENDPOINT).toMatch(/endpoint\}$/);
  });

  it("creates the lab's MLflow experiment under the deploying user", () => {
    expect(only(dbx, "resource", "databricks_mlflow_experiment").name).toBe("${data.databricks_current_user.me.home}/evallab-qa-evaluation");
    for (const name of ["cluster_id", "cluster_url", "experiment_id", "experiment_url"]) expect(dbx.output[name]).toBeDefined();
    expect(dbx.output.experiment_url.value).toMatch(/^https:\/\/.+\/ml\/experiments\/\$\{databricks_mlflow_experiment\.experiment\.id\}$/);
  });

  it("has a precondition naming the runtime rule", () => {
    const [pre] = cluster.lifecycle.precondition;
    expect(pre.error_message).toMatch(/ML runtime for CPUs, Scala >= 2\.12 and DBR >= 13\.3/);
  });

  // The precondition is Terraform code: evaluate it with a real terraform (no provider needed). Without
  // one these tests fail, never skip: `.ci/run` makes sure it is there.
  it("has a real terraform to evaluate the precondition with", () => {
    expect(terraformVersion(), "terraform is not on PATH: install Terraform 1.11 (see README, Development)").toMatch(/^Terraform v1\.\d+/);
  });
  it.each([
    ["15.4.x-cpu-ml-scala2.12", true],
    ["13.3.x-cpu-ml-scala2.12", true],
    ["16.4.x-cpu-ml-scala2.13", true],
    ["13.2.x-cpu-ml-scala2.12", false],
    ["12.2.x-cpu-ml-scala2.12", false],
    ["15.4.x-gpu-ml-scala2.12", false],
    ["15.4.x-scala2.12", false],
    ["15.4.x-cpu-ml-scala2.11", false],
  ])("precondition on %s is %s (real terraform console)", (runtimeId, expected) => {
    const [localName, localExpr] = Object.entries(dbx.locals as Record<string, string>)[0];
    const dataRef = cluster.spark_version.slice(2, -1); // ${data....id} → data....id
    const dir = tempDir();
    writeFileSync(
      join(dir, "main.tf.json"),
      JSON.stringify({
        variable: { runtime_id: { type: "string" } },
        locals: { [localName]: localExpr.replace(dataRef, "var.runtime_id"), ok: cluster.lifecycle.precondition[0].condition },
      }),
    );
    const out = execFileSync("terraform", ["console"], {
      cwd: dir,
      input: "local.ok\n",
      env: { ...process.env, TF_VAR_runtime_id: runtimeId, CHECKPOINT_DISABLE: "1", TF_IN_AUTOMATION: "1" },
      encoding: "utf8",
      stdio: ["pipe", "pipe", "ignore"],
    });
    expect(out.trim()).toBe(String(expected));
  });

  it("puts every regional resource in the configured region", () => {
    expect(config.region).toBe("swedencentral");
    const lab = stacks.lab;
    for (const [type, byName] of Object.entries(lab.resource as Record<string, Record<string, any>>)) {
      for (const r of Object.values(byName)) if ("location" in r) expect(r.location, type).toBe("swedencentral");
    }
  });
});

describe("the evaluation notebook", () => {
  it("deploys the notebook file and the bundled dataset beside it, content-hashed so edits update them", async () => {
    const { createHash } = await import("node:crypto");
    const { readFileSync } = await import("node:fs");
    const { outDir } = synthLab({ LAB_REGION: "eastus2" });
    const dbxJson = JSON.parse(readFileSync(join(outDir, "stacks", "lab-databricks", "cdk.tf.json"), "utf8"));
    const nb = only(dbxJson, "resource", "databricks_notebook");
    const ds = only(dbxJson, "resource", "databricks_workspace_file");
    const source = readFileSync(join(import.meta.dirname, "..", "..", "eval", "notebooks", "qa_evaluation.py"));
    expect(nb).toMatchObject({ language: "PYTHON", path: "${data.databricks_current_user.me.home}/evallab/qa_evaluation" });
    expect(nb.md5).toBe(createHash("md5").update(source).digest("hex"));
    expect(readFileSync(join(outDir, "stacks", "lab-databricks", nb.source))).toEqual(source);
    expect(ds.path).toBe("${data.databricks_current_user.me.home}/evallab/lab-qa.jsonl");
    expect(readFileSync(join(outDir, "stacks", "lab-databricks", ds.source), "utf8")).toMatch(/"What is MLflow\?"/);
    for (const name of ["notebook_url", "notebook_path", "dataset_path"]) expect(dbxJson.output[name]).toBeDefined();
  });

  it("changes the notebook's md5 when the file changes", async () => {
    const { App, TerraformStack } = await import("cdktf");
    const { LabNotebook } = await import("../../stacks/constructs/lab-notebook.ts");
    const md5Of = (content: string) => {
      const dir = tempDir();
      writeFileSync(join(dir, "nb.py"), content);
      writeFileSync(join(dir, "d.jsonl"), "{}\n");
      const app = new App({ outdir: join(dir, "out") });
      const stack = new TerraformStack(app, "s");
      const nb = new LabNotebook(stack, "nb", { folder: "/Users/x/lab", notebookFile: join(dir, "nb.py"), datasetFile: join(dir, "d.jsonl") });
      return nb.notebook.md5Input;
    };
    const { createHash } = await import("node:crypto");
    expect(md5Of("print(1)\n")).toBe(createHash("md5").update("print(1)\n").digest("hex"));
    expect(md5Of("print(1)\n")).not.toBe(md5Of("print(2)\n"));
  });
});

function terraformVersion(): string {
  try {
    return execFileSync("terraform", ["version"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  } catch {
    return "";
  }
}
