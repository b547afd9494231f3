// up / status / down / lab through the real cdktf CLI, with the fake terraform and loopback fakes.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { choicesPath } from "../../stacks/config.ts";
import { runCli } from "../helpers/cli.ts";
import { CLUSTER_ID, type LabWorld, stacksRun, useLabWorlds } from "../helpers/lab-world.ts";

const world = useLabWorlds();

const logsOf = (cwd: string) => {
  const dir = join(cwd, ".evallab", "logs");
  return existsSync(dir)
    ? readdirSync(dir)
        .map((f) => readFileSync(join(dir, f), "utf8"))
        .join("\n")
    : "";
};
function expectNoSecrets(w: LabWorld, ...texts: string[]) {
  for (const text of [...texts, logsOf(w.cwd)]) for (const s of w.secrets) expect(text.includes(s), `secret ${s.slice(0, 6)}… leaked`).toBe(false);
}
const deployOrder = stacksRun;

describe("evallab up", () => {
  it("preflights, deploys lab then lab-databricks, waits for the cluster, and prints where everything is", async () => {
    const w = await world();
    const r = await runCli(["up"], { cwd: w.cwd, env: w.env });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const applied = deployOrder(w, "apply");
    expect(applied[0]).toBe("lab");
    expect([...applied].sort()).toEqual(["lab", "lab-databricks", "lab-teardown"]);
    expect(r.stderr).toMatch(/all checks passed/);
    expect(r.stderr).toMatch(/\[lab\] created azurerm_resource_group\.rg \(1s\)/);
    expect(r.stderr).toMatch(/\[lab-databricks\] Apply complete! Resources: 8 added/);
    expect(r.stderr).toMatch(/\[lab-teardown\] Apply complete! Resources: 9 added/);
    expect(r.stderr).toMatch(/cluster RUNNING, libraries INSTALLED/);
    expect(r.stdout).toContain(`OpenAI endpoint   ${w.openai.url}`);
    expect(r.stdout).toContain(`/ml/experiments/4242`);
    expect(r.stdout).toMatch(/about \$0\.78\/hour while the cluster runs/);
    expect(r.stdout).toContain("(deployment gpt-35-turbo: gpt-35-turbo 0125 Standard, API 2024-10-21)");
    expect(r.stdout).toContain("gpt-35-turbo (Standard) tokens per use: $0.50/1M in, $1.50/1M out");
    expect(r.stdout).toContain("evallab down");
    expect(w.dbx.calls.some((c) => c.path === "/api/2.0/libraries/cluster-status")).toBe(true);
    expect(JSON.parse(readFileSync(choicesPath(w.cwd), "utf8")).deployedAt).toMatch(/^\d{4}-/);
    expectNoSecrets(w, r.stdout, r.stderr);
  }, 120_000);

  it.each([
    [
      "InsufficientQuota",
      "creating Cognitive Account Deployment: InsufficientQuota: This operation require 5 new capacity in quota Tokens Per Minute (thousands) - gpt-35-turbo",
      /Not enough Azure OpenAI quota for gpt-35-turbo \(5K TPM\)[\s\S]*fix: lower LAB_CAPACITY/,
    ],
    [
      "ServiceModelDeprecated",
      'Code="ServiceModelDeprecated" Message="The model \'Format:OpenAI,Name:gpt-35-turbo,Version:0125\' has been deprecated"',
      /no longer accepts new deployments of gpt-35-turbo 0125[\s\S]*LAB_MODEL=gpt-4o-mini/,
    ],
    [
      "CustomDomainInUse",
      'Code="CustomDomainInUse" Message="Please pick a different name. The subdomain name \'oai-x\' is not available as it\'s already used by a resource."',
      /soft-deleted Azure OpenAI account still holds the name[\s\S]*evallab preflight --fix/,
    ],
    [
      "FlagMustBeSetForRestore",
      'Code="FlagMustBeSetForRestore" Message="An existing resource with ID \'...\' has been soft-deleted."',
      /soft-deleted Azure OpenAI account still holds/,
    ],
    [
      "QuotaExceeded",
      'Code="QuotaExceeded" Message="Operation could not be completed as it results in exceeding approved standardDDSv5Family Cores quota."',
      /Not enough vCPU quota for the cluster's Standard_D4ds_v5/,
    ],
    [
      "no subscription",
      "building account: could not acquire access token to parse claims: subscription ID could not be determined and was not specified",
      /ARM_SUBSCRIPTION_ID is not set[\s\S]*az account show/,
    ],
    [
      "not signed in",
      "building account: unable to build authorizer for Resource Manager API: could not configure AzureCli Authorizer: Please run 'az login' to setup account.",
      /Not signed in to Azure\.[\s\S]*az login/,
    ],
  ])(
    "turns %s into one clear message with the fix and the log path",
    async (_name, message, expected) => {
      const w = await world();
      const r = await runCli(["up", "--skip-preflight"], {
        cwd: w.cwd,
        env: { ...w.env, FAKE_TERRAFORM_FAIL: JSON.stringify({ stack: "lab", command: "apply", message }) },
      });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(expected);
      expect(r.stderr).toMatch(/full log: .*\.evallab\/logs\/up-.*\.log/);
      expect(r.stderr.split("\n").filter((l) => l.startsWith("error:"))).toHaveLength(1);
      expectNoSecrets(w, r.stdout, r.stderr);
    },
    120_000,
  );

  it("retries a RequestConflict once and succeeds", async () => {
    const w = await world();
    const fail = {
      stack: "lab",
      command: "apply",
      message: 'Code="RequestConflict" Message="Cannot modify resource because another operation is in progress"',
      times: 1,
    };
    const r = await runCli(["up", "--skip-preflight", "--no-wait"], { cwd: w.cwd, env: { ...w.env, FAKE_TERRAFORM_FAIL: JSON.stringify(fail) } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/still busy with an earlier operation.*Retrying once/);
    expect(deployOrder(w, "apply").filter((s) => s === "lab")).toHaveLength(2);
  }, 120_000);

  it("stops before deploying when preflight fails", async () => {
    const w = await world();
    w.arm.state.deletedAccounts.push({ name: "", location: "eastus2", resourceGroup: "rg" });
    // No quota for the lab's model nor for any model it could move to.
    for (const usage of Object.values(w.arm.state.openAiUsage)) for (const name of Object.keys(usage)) usage[name] = { current: 120, limit: 120 };
    const r = await runCli(["up"], { cwd: w.cwd, env: w.env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/FAIL\s+openai-quota/);
    expect(r.stderr).toMatch(/preflight: gpt-35-turbo 0125 cannot be deployed in any lab region: no quota for 5K TPM/);
    expect(existsSync(join(w.cwd, "terraform-calls.jsonl")) ? deployOrder(w, "apply") : []).toEqual([]);
    // A failed preflight writes no region, model or suffix.
    expect(existsSync(choicesPath(w.cwd))).toBe(false);
  }, 60_000);
});

describe("evallab status and down", () => {
  it("reports a deployed lab, destroys in reverse order, verifies, purges, and is harmless twice", async () => {
    const w = await world();
    expect((await runCli(["up", "--skip-preflight"], { cwd: w.cwd, env: w.env })).code).toBe(0);

    const st = await runCli(["status", "--json"], { cwd: w.cwd, env: w.env });
    expect(st.code, st.stderr).toBe(0);
    const status = JSON.parse(st.stdout);
    expect(status).toMatchObject({
      deployed: true,
      model: { name: "gpt-35-turbo", version: "0125", deploymentType: "Standard" },
      cluster: { id: CLUSTER_ID, state: "RUNNING" },
      costPerHourUsd: expect.closeTo(0.776, 3),
    });
    expect(status.ageMs).toBeGreaterThanOrEqual(0);
    expect(status.costSoFarUsd).toBeGreaterThanOrEqual(0);

    // Azure still shows a soft-deleted account of the lab: down must purge it.
    const config = JSON.parse(readFileSync(choicesPath(w.cwd), "utf8"));
    const account = `oai-evallab-${config.suffix}`;
    w.arm.state.deletedAccounts.push({ name: account, location: "swedencentral", resourceGroup: `rg-evallab-${config.suffix}` });
    const down = await runCli(["down"], { cwd: w.cwd, env: w.env });
    expect(down.code, down.stderr + down.stdout).toBe(0);
    expect(deployOrder(w, "destroy")).toEqual(["lab-teardown", "lab-databricks", "lab"]);
    expect(down.stdout).toContain(`soft-deleted OpenAI account ${account} (purged)`);
    expect(down.stdout).toContain(`teardown resource group rg-evallab-${config.suffix}-teardown`);
    expect(JSON.parse(readFileSync(choicesPath(w.cwd), "utf8")).deadline).toBeUndefined();
    expect(down.stdout).toContain("Nothing of the lab is left.");
    expect(w.arm.state.deletedAccounts).toEqual([]);
    expectNoSecrets(w, down.stdout, down.stderr, st.stdout);

    const again = await runCli(["down", "--json"], { cwd: w.cwd, env: w.env });
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).remaining).toEqual([]);

    const gone = await runCli(["status"], { cwd: w.cwd, env: w.env });
    expect(gone.stdout).toMatch(/not deployed/);
  }, 180_000);

  it("exits non-zero naming what remains and the command that removes it", async () => {
    const w = await world();
    expect((await runCli(["up", "--skip-preflight", "--no-wait"], { cwd: w.cwd, env: w.env })).code).toBe(0);
    const suffix = JSON.parse(readFileSync(choicesPath(w.cwd), "utf8")).suffix;
    w.arm.state.resourceGroups.set(`rg-evallab-${suffix}-dbw-managed`, { location: "eastus2" });
    const r = await runCli(["down"], { cwd: w.cwd, env: w.env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(`managed resource group rg-evallab-${suffix}-dbw-managed\\n\\s+remove it with: az group delete --name rg-evallab-${suffix}-dbw-managed`),
    );
  }, 120_000);
});

describe("evallab lab", () => {
  it("stands up the lab, evaluates the new deployment with the key in memory, and tears down with --down", async () => {
    const w = await world();
    const r = await runCli(["lab", "--down", "--skip-preflight"], { cwd: w.cwd, env: w.env });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(w.openai.completed.map((q) => q.messages[1].content)).toEqual(expect.arrayContaining(["What is MLflow?", "What is Spark?"]));
    expect(r.stdout).toMatch(/answered 2 · filtered 0 · failed 0/);
    expect(r.stdout).toMatch(/flesch_kincaid_grade_level\/v1\/mean/);
    expect(r.stdout).toContain("Nothing of the lab is left.");
    expect(deployOrder(w, "destroy")).toEqual(["lab-teardown", "lab-databricks", "lab"]);
    expectNoSecrets(w, r.stdout, r.stderr);
  }, 180_000);
});

describe("deadline: status and extend", () => {
  it("shows the deadline and time left, and extend moves it in the teardown's parameter and the tags", async () => {
    const w = await world();
    const before = Date.now();
    expect((await runCli(["up", "--skip-preflight", "--no-wait"], { cwd: w.cwd, env: w.env })).code).toBe(0);
    const deadline = JSON.parse(readFileSync(choicesPath(w.cwd), "utf8")).deadline as string;
    // Fixed at deploy time, 8 hours out (the default expiresIn).
    expect(Date.parse(deadline) - before).toBeGreaterThan(8 * 3_600_000 - 5000);

    const st = JSON.parse((await runCli(["status", "--json"], { cwd: w.cwd, env: w.env })).stdout);
    expect(st.deadline).toBe(deadline);
    expect(st.timeLeftMs).toBeGreaterThan(7.9 * 3_600_000);
    expect((await runCli(["status"], { cwd: w.cwd, env: w.env })).stdout).toMatch(new RegExp(`teardown\\s+${deadline} \\(in 7h5\\dm\\)`));

    // Azure holds the lab as deployed: its groups, the account in the lab's group.
    const { suffix } = JSON.parse(readFileSync(choicesPath(w.cwd), "utf8"));
    w.arm.state.resourceGroups.set(`rg-evallab-${suffix}`, {
      location: "eastus2",
      accounts: [`oai-evallab-${suffix}`],
      tags: { lab: "evallab", "expires-at": deadline },
    });
    w.arm.state.resourceGroups.set(`rg-evallab-${suffix}-teardown`, { location: "eastus2", tags: { lab: "evallab", "expires-at": deadline } });

    const applied = deployOrder(w, "apply").length;
    const r = await runCli(["extend", "2h"], { cwd: w.cwd, env: w.env });
    expect(r.code, r.stderr).toBe(0);
    const moved = new Date(Date.parse(deadline) + 2 * 3_600_000).toISOString().replace(".000Z", "Z");
    expect(r.stdout).toContain(`The lab is now removed at ${moved}.`);
    // Only the teardown stack is applied; the tags move through ARM's Tags API (other tags untouched).
    expect(deployOrder(w, "apply").slice(applied)).toEqual(["lab-teardown"]);
    const td = JSON.parse(readFileSync(join(w.cwd, "cdktf.out", "stacks", "lab-teardown", "cdk.tf.json"), "utf8"));
    expect(Object.values(td.resource.azurerm_logic_app_workflow as Record<string, any>)[0].parameters.deadline).toBe(moved);
    expect(w.arm.state.resourceGroups.get(`rg-evallab-${suffix}`)?.tags).toEqual({ lab: "evallab", "expires-at": moved });
    expect(w.arm.state.resourceGroups.get(`rg-evallab-${suffix}-teardown`)?.tags?.["expires-at"]).toBe(moved);
    const accountId = `/subscriptions/${w.arm.state.subscriptionId}/resourceGroups/rg-evallab-${suffix}/providers/Microsoft.CognitiveServices/accounts/oai-evallab-${suffix}`;
    expect(w.arm.state.resourceTags[accountId]).toEqual({ "expires-at": moved });
  }, 180_000);

  it("after the teardown removed the lab, down still finishes cleanly (gone is not an error)", async () => {
    const w = await world();
    expect((await runCli(["up", "--skip-preflight", "--no-wait"], { cwd: w.cwd, env: w.env })).code).toBe(0);
    // The teardown ran: no groups in Azure, and the workspace no longer resolves for the databricks provider.
    const fail = {
      stack: "lab-databricks",
      command: "destroy",
      message:
        'cannot read cluster: Get "https://adb-1234.azuredatabricks.net/api/2.1/clusters/get": dial tcp: lookup adb-1234.azuredatabricks.net: no such host',
    };
    const r = await runCli(["down"], { cwd: w.cwd, env: { ...w.env, FAKE_TERRAFORM_FAIL: JSON.stringify(fail) } });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(/\[lab-databricks\] its workspace is already gone; its stale state removed/);
    expect(r.stdout).toContain("Nothing of the lab is left.");
    // No copy of the stale state (it held the key) is kept.
    expect(readdirSync(w.cwd).filter((f) => f.includes("tfstate"))).toEqual(["terraform.lab-teardown.tfstate", "terraform.lab.tfstate"]);
    expect(deployOrder(w, "destroy")).toEqual(["lab-teardown", "lab-databricks", "lab"]);
  }, 120_000);

  it("refuses to extend a lab without a teardown or not deployed, saying why", async () => {
    const w = await world();
    const off = await runCli(["extend", "2h"], { cwd: w.cwd, env: { ...w.env, LAB_EXPIRES_IN: "off" } });
    expect(off.code).toBe(2);
    expect(off.stderr).toMatch(/no teardown \(expiresIn: off\)/);
    const notUp = await runCli(["extend", "2h"], { cwd: w.cwd, env: w.env });
    expect(notUp.code).toBe(2);
    expect(notUp.stderr).toMatch(/no lab is deployed from this folder/);
    expect((await runCli(["extend", "soon"], { cwd: w.cwd, env: w.env })).stderr).toMatch(/give one duration such as 90m, 2h or 1d/);
  });

  it("deploys no teardown stack with expiresIn off", async () => {
    const w = await world();
    const r = await runCli(["up", "--skip-preflight", "--no-wait"], { cwd: w.cwd, env: { ...w.env, LAB_EXPIRES_IN: "off" } });
    expect(r.code, r.stderr).toBe(0);
    expect(deployOrder(w, "apply")).toEqual(["lab", "lab-databricks"]);
    expect(r.stdout).toContain("never automatically (expiresIn: off)");
  }, 120_000);
});

describe("help and usage", () => {
  it.each(["up", "down", "status", "preflight", "lab", "eval", "extend", "compare", "report"])("%s --help exits 0 with a usage line", async (cmd) => {
    const r = await runCli([cmd, "--help"], { cwd: "/" });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: evallab ${cmd}`));
  });
  it("an unknown command exits 2 with the command list", async () => {
    const r = await runCli(["deploy"], { cwd: "/" });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command "deploy"[\s\S]*preflight/);
  });
});
