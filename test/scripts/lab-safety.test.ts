// Nothing left running, ever: the life-cycle commands against a terraform that behaves like 1.11
// (empty state after destroy, `.backup` files, umask modes), Ctrl-C, a second command at once, a lost
// choices file or state, the guard's run history.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { choicesPath } from "../../stacks/config.ts";
import { statePath } from "../../stacks/terraform-state.ts";
import { todayCatalog, todayUsages } from "../fakes/arm.ts";
import { runCdktf } from "../helpers/cdktf-cli.ts";
import { runCli, spawnCli } from "../helpers/cli.ts";
import { type LabWorld, stacksRun, useLabWorlds } from "../helpers/lab-world.ts";

const world = useLabWorlds();

const applied = (w: LabWorld) => stacksRun(w, "apply");
const suffixOf = (w: LabWorld) => JSON.parse(readFileSync(choicesPath(w.cwd), "utf8")).suffix as string;

/** Every file under `dir` (skipping node_modules-like trees cdktf never writes here). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

/** Azure as the deployed lab leaves it, tagged as the stacks tag it. */
function labInAzure(w: LabWorld, suffix: string) {
  const tags = { lab: "evallab" };
  w.arm.state.resourceGroups.set(`rg-evallab-${suffix}`, {
    location: "eastus2",
    managed: [`rg-evallab-${suffix}-dbw-managed`],
    accounts: [`oai-evallab-${suffix}`],
    tags,
  });
  w.arm.state.resourceGroups.set(`rg-evallab-${suffix}-dbw-managed`, { location: "eastus2" });
  w.arm.state.resourceGroups.set(`rg-evallab-${suffix}-teardown`, { location: "eastus2", tags });
}

/** A lab stood up with `up --skip-preflight --no-wait` and present in Azure; returns its name suffix. */
async function deployedLab(w: LabWorld): Promise<string> {
  const up = await runCli(["up", "--skip-preflight", "--no-wait"], { cwd: w.cwd, env: w.env });
  expect(up.code, up.stderr).toBe(0);
  const suffix = suffixOf(w);
  labInAzure(w, suffix);
  return suffix;
}

describe("deployed means resources in the state", () => {
  it("a plain `cdktf deploy` is seen as deployed; after down, status says not deployed and extend applies nothing", async () => {
    const w = await world();
    const deploy = runCdktf(["deploy", "lab", "lab-databricks", "lab-teardown", "--auto-approve"], { cwd: w.cwd, env: w.env });
    expect(deploy.status, deploy.output.slice(-2000)).toBe(0);
    expect(existsSync(join(w.cwd, ".evallab", "logs"))).toBe(false); // nothing of evallab's ran yet

    const st = await runCli(["status", "--json"], { cwd: w.cwd, env: w.env });
    expect(st.code, st.stderr).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ deployed: true, model: { name: "gpt-35-turbo" } });

    labInAzure(w, suffixOf(w));
    const down = await runCli(["down"], { cwd: w.cwd, env: w.env });
    expect(down.code, down.stderr + down.stdout).toBe(0);
    // terraform 1.x leaves an empty state and a backup; neither means "deployed".
    const lab = JSON.parse(readFileSync(statePath(w.cwd, "lab"), "utf8"));
    expect(lab).toMatchObject({ version: 4, resources: [], outputs: {} });
    expect((await runCli(["status"], { cwd: w.cwd, env: w.env })).stdout).toMatch(/not deployed/);

    const before = applied(w).length;
    const extend = await runCli(["extend", "2h"], { cwd: w.cwd, env: w.env });
    expect(extend.code).toBe(2);
    expect(extend.stderr).toMatch(/no lab is deployed from this folder/);
    expect(applied(w).length).toBe(before);
  }, 180_000);

  it("after down, no file readable by others holds the key: states and backups are owner-only, stale copies gone", async () => {
    const w = await world();
    expect((await runCli(["up", "--skip-preflight", "--no-wait"], { cwd: w.cwd, env: w.env })).code).toBe(0);
    const key = w.openai.opts.apiKey;
    // The fake writes the key into the state as terraform does (the account's primary_access_key).
    expect(readFileSync(statePath(w.cwd, "lab"), "utf8")).toContain(key);
    // The test's own fixtures (what the fake terraform answers) aside, nothing of the project's.
    const files = () => filesUnder(w.cwd).filter((f) => !/fake-outputs\.json$|terraform-calls\.jsonl/.test(f));
    const exposed = () => files().filter((f) => (statSync(f).mode & 0o077) !== 0 && readFileSync(f, "utf8").includes(key));
    expect(exposed()).toEqual([]);
    labInAzure(w, suffixOf(w));
    const down = await runCli(["down"], { cwd: w.cwd, env: w.env });
    expect(down.code, down.stderr).toBe(0);
    expect(exposed()).toEqual([]);
    // After a verified-clean down the backups (the old state, key included) are removed too.
    expect(files().filter((f) => readFileSync(f, "utf8").includes(key))).toEqual([]);
  }, 180_000);
});

describe("down finds the lab without its choices file", () => {
  it("from the Terraform state", async () => {
    const w = await world();
    const suffix = await deployedLab(w);
    rmSync(choicesPath(w.cwd));
    const down = await runCli(["down"], { cwd: w.cwd, env: w.env });
    expect(down.code, down.stderr + down.stdout).toBe(0);
    expect(stacksRun(w, "destroy")).toEqual(["lab-teardown", "lab-databricks", "lab"]);
    expect(down.stdout).toContain(`resource group rg-evallab-${suffix}`);
    expect(down.stdout).not.toContain("nothing: no lab");
    expect(w.arm.state.resourceGroups.size).toBe(0);
  }, 180_000);

  it("from the resource groups tagged lab=<prefix> when the state is gone too, and never says nothing is left while something is", async () => {
    const w = await world();
    labInAzure(w, "k3x9q2");
    w.arm.state.deletedAccounts.push({ name: "oai-evallab-k3x9q2", location: "eastus2", resourceGroup: "rg-old" });
    const down = await runCli(["down", "--json"], { cwd: w.cwd, env: w.env });
    expect(down.code, down.stderr).toBe(0);
    const report = JSON.parse(down.stdout);
    expect(report.removed).toEqual(
      expect.arrayContaining([
        "teardown resource group rg-evallab-k3x9q2-teardown (deleted now)",
        "resource group rg-evallab-k3x9q2 (deleted now)",
        "soft-deleted OpenAI account oai-evallab-k3x9q2 (purged)",
      ]),
    );
    expect(w.arm.state.resourceGroups.size).toBe(0);

    // A group that cannot be deleted (locked) is named with its command, exit 1.
    labInAzure(w, "k3x9q2");
    w.arm.state.locked.add("rg-evallab-k3x9q2");
    const stuck = await runCli(["down"], { cwd: w.cwd, env: w.env });
    expect(stuck.code).toBe(1);
    expect(stuck.stdout).toMatch(/still there:\n {2}- resource group rg-evallab-k3x9q2\n {4}remove it with: az group delete --name rg-evallab-k3x9q2/);
    expect(stuck.stdout).not.toContain("Nothing of the lab is left.");
  }, 120_000);

  it("removes the teardown's custom roles and their assignments when they outlived it", async () => {
    const w = await world();
    expect((await runCli(["up", "--skip-preflight", "--no-wait"], { cwd: w.cwd, env: w.env })).code).toBe(0);
    const suffix = suffixOf(w);
    const sub = `/subscriptions/${w.arm.state.subscriptionId}`;
    const def = (n: string) => ({ id: `${sub}/providers/Microsoft.Authorization/roleDefinitions/${n}-id`, roleName: `evallab-${suffix}-teardown-${n}` });
    w.arm.state.roleDefinitions.push(def("deleter"), def("purger"), {
      id: `${sub}/providers/Microsoft.Authorization/roleDefinitions/other`,
      roleName: "someone-elses",
    });
    w.arm.state.roleAssignments.push({ id: `${sub}/providers/Microsoft.Authorization/roleAssignments/a1`, roleDefinitionId: def("purger").id, scope: sub });
    const down = await runCli(["down"], { cwd: w.cwd, env: w.env });
    expect(down.code, down.stderr + down.stdout).toBe(0);
    expect(w.arm.state.roleDefinitions.map((d) => d.roleName)).toEqual(["someone-elses"]);
    expect(w.arm.state.roleAssignments).toEqual([]);
    expect(down.stdout).toContain(`custom role evallab-${suffix}-teardown-purger and its assignments`);
  }, 180_000);
});

describe("one command at a time, and Ctrl-C", () => {
  it("a second life-cycle command exits 2 naming the holder; a stale lock from a dead process is taken over", async () => {
    const w = await world();
    const lock = join(w.cwd, ".evallab", "lock");
    mkdirSync(join(w.cwd, ".evallab"), { recursive: true });
    // Held by a live process (this one).
    writeFileSync(lock, JSON.stringify({ pid: process.pid, command: "up", since: "2026-11-29T10:00:00.000Z" }));
    const busy = await runCli(["up", "--skip-preflight", "--no-wait"], { cwd: w.cwd, env: w.env });
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain(`another \`evallab up\` is running in this folder (pid ${process.pid}, since 2026-11-29T10:00:00.000Z)`);
    expect(w.terraformCalls().length).toBe(0);
    for (const cmd of [["down"], ["extend", "2h"]]) expect((await runCli(cmd, { cwd: w.cwd, env: w.env })).code).toBe(2);

    writeFileSync(lock, JSON.stringify({ pid: 2 ** 22 + 7, command: "up", since: "2026-11-29T09:00:00.000Z" }));
    const taken = await runCli(["up", "--skip-preflight", "--no-wait"], { cwd: w.cwd, env: w.env });
    expect(taken.code, taken.stderr).toBe(0);
    expect(existsSync(lock)).toBe(false); // released
  }, 180_000);

  it("Ctrl-C during up stops terraform gracefully, says what exists and how to go on, exits 130", async () => {
    const w = await world();
    const child = spawnCli(["up", "--skip-preflight", "--no-wait"], { cwd: w.cwd, env: { ...w.env, FAKE_TERRAFORM_SLOW_MS: "400" } });
    let stderr = "";
    const created = new Promise<void>((resolve) => {
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (/created azurerm_cognitive_account/.test(stderr)) resolve(); // the first of the lab's four
      });
    });
    await created;
    child.kill("SIGINT");
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted \(SIGINT\): terraform stopped after saving its state\. In the state now: lab: \d+ resources?/);
    expect(stderr).toContain("Next: finish it with `evallab up`, or remove what exists with `evallab down`.");
    const state = JSON.parse(readFileSync(statePath(w.cwd, "lab"), "utf8"));
    expect(state.resources.length).toBeGreaterThan(0);
    expect(state.resources.length).toBeLessThan(4); // stopped before the end
    expect(statSync(statePath(w.cwd, "lab")).mode & 0o777).toBe(0o600);
    // No terraform left running: the log has no apply after the interrupt, and the lock is released.
    expect(existsSync(join(w.cwd, ".evallab", "lock"))).toBe(false);
    expect(stacksRun(w, "apply")).toEqual(["lab"]);
  }, 120_000);
});

describe("status shows the guard", () => {
  it("warns when the teardown's last run Failed, from the Logic App's run history", async () => {
    const w = await world();
    const suffix = await deployedLab(w);
    w.arm.state.workflowRuns[`la-evallab-${suffix}-teardown`] = [
      { name: "08584", status: "Failed", startTime: "2026-11-29T18:00:00Z", endTime: "2026-11-29T20:00:00Z", code: "Terminated" },
      { name: "08583", status: "Succeeded", startTime: "2026-11-29T17:45:00Z" },
    ];
    const st = await runCli(["status"], { cwd: w.cwd, env: w.env });
    expect(st.stdout).toMatch(/teardown\s+.*WARNING: its last run at 2026-11-29T18:00:00Z Failed \(Terminated\): it could not remove the lab/);
    const json = JSON.parse((await runCli(["status", "--json"], { cwd: w.cwd, env: w.env })).stdout);
    expect(json.guard).toEqual({ lastRun: { status: "Failed", startTime: "2026-11-29T18:00:00Z", code: "Terminated" } });
  }, 120_000);
});

describe("on today's Azure", () => {
  it("up moves the retired default model to a successor Azure accepts, says so once, and deploys it with its SKU", async () => {
    const w = await world();
    w.arm.state.models = todayCatalog();
    w.arm.state.openAiUsage = todayUsages();
    const r = await runCli(["up", "--no-wait"], { cwd: w.cwd, env: w.env });
    expect(r.code, r.stderr).toBe(0);
    expect(
      r.stderr.match(
        /note: gpt-35-turbo 0125 cannot be deployed \(retired for inference on 2025-11-14 in every lab region\); deploying gpt-5-mini 2025-08-07/g,
      ),
    ).toHaveLength(1);
    const lab = JSON.parse(readFileSync(join(w.cwd, "cdktf.out", "stacks", "lab", "cdk.tf.json"), "utf8"));
    const dep = Object.values(lab.resource.azurerm_cognitive_deployment as Record<string, { model: { name: string }; sku: { name: string } }>)[0];
    expect(dep.model.name).toBe("gpt-5-mini");
    expect(["DataZoneStandard", "GlobalStandard"]).toContain(dep.sku.name);
    expect(r.stdout + r.stderr).not.toMatch(/gpt-4o-mini|gpt-4\.1-mini/); // never a retired model named
  }, 120_000);
});
