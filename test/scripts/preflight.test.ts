import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { choicesPath } from "../../stacks/config.ts";
import { FakeArm, type FakeArmState, todayCatalog, todayUsages } from "../fakes/arm.ts";
import { runCli } from "../helpers/cli.ts";
import { only, synthLab } from "../helpers/synth.ts";
import { missingPath, tempDir } from "../helpers/tmp.ts";

const fakes: FakeArm[] = [];
async function arm(overrides: Partial<FakeArmState> = {}) {
  const f = await new FakeArm(overrides).start();
  fakes.push(f);
  return f;
}
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.stop();
});

async function preflight(f: FakeArm, args: string[] = [], env: Record<string, string> = {}, cwd = tempDir()) {
  const r = await runCli(["preflight", ...args], { cwd, env: { ...f.env(), ...env } });
  return { ...r, cwd };
}

describe("evallab preflight", () => {
  it("passes on a ready subscription, follows nextLink paging, and persists the region it keeps", async () => {
    const f = await arm();
    const r = await preflight(f, ["--json"]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(true);
    expect(report.passingRegions).toEqual(["eastus2", "northcentralus", "swedencentral", "switzerlandwest"]);
    expect(report.results.filter((x: { status: string }) => x.status !== "pass")).toEqual([]);
    // Each region's model list has 2 entries on pages of 2; the usages paged too: nextLink was followed.
    expect(f.calls.some((c) => c.path.endsWith("/usages") && c.status === 200)).toBe(true);
    expect(f.calls.every((c) => c.status !== 400)).toBe(true);
    const persisted = JSON.parse(readFileSync(choicesPath(r.cwd), "utf8"));
    expect(persisted.region).toBe(report.region);
  });

  it("uses real api-versions on every call", async () => {
    const f = await arm();
    await preflight(f);
    const versions = new Set(f.calls.map((c) => `${c.path.split("/").slice(3, 5).join("/")}@${c.apiVersion}`));
    expect([...versions].every((v) => !v.endsWith("@null"))).toBe(true);
    expect(f.calls.every((c) => c.status === 200)).toBe(true);
  });

  it("fails a quota-starved region with the fix, and moves a drawn region to a passing one", async () => {
    const f = await arm();
    const cwd = tempDir();
    // First run draws and persists a region; then starve exactly that region.
    const first = JSON.parse((await preflight(f, ["--json"], {}, cwd)).stdout);
    f.state.openAiUsage[first.region]["OpenAI.Standard.gpt-35-turbo"] = { current: 118, limit: 120 };
    const r = await preflight(f, ["--json"], {}, cwd);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const starved = report.results.find((x: { check: string; region: string }) => x.check === "openai-quota" && x.region === first.region);
    expect(starved.status).toBe("fail");
    expect(starved.detail).toContain("2K TPM free of 120K, lab needs 5K");
    expect(starved.fix).toContain("LAB_CAPACITY");
    expect(report.region).not.toBe(first.region);
    expect(JSON.parse(readFileSync(choicesPath(cwd), "utf8")).region).toBe(report.region);
  });

  it("fails when vCPU quota is short for the node type's family", async () => {
    const f = await arm();
    for (const r of Object.keys(f.state.computeUsage)) f.state.computeUsage[r].standardDDSv5Family = { current: 8, limit: 10 };
    const r = await preflight(f);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+vcpu-quota\s+eastus2\s+Standard_D4ds_v5 needs 4 vCPUs: 2 free in standardDDSv5Family/);
  });

  it("counts the driver and every worker the cluster may grow to", async () => {
    const f = await arm();
    for (const r of Object.keys(f.state.computeUsage)) f.state.computeUsage[r].standardDDSv5Family = { current: 0, limit: 16 };
    const r = await preflight(f, [], { LAB_WORKERS: "2-4" });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+vcpu-quota\s+eastus2\s+5 × Standard_D4ds_v5 needs 20 vCPUs: 16 free in standardDDSv5Family/);
    expect(r.stdout).toMatch(/or fewer LAB_WORKERS/);
    expect((await preflight(f, [], { LAB_WORKERS: "3" })).code).toBe(0);
  });

  it("keeps a configured region that fails, naming the passing ones", async () => {
    const f = await arm();
    f.state.openAiUsage.eastus2["OpenAI.Standard.gpt-35-turbo"] = { current: 120, limit: 120 };
    const r = await preflight(f, [], { LAB_REGION: "eastus2" });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/the configured region eastus2 fails preflight \(passing regions: northcentralus, swedencentral, switzerlandwest\)/);
    expect(r.stdout).toMatch(/fix: set LAB_REGION=northcentralus/);
  });

  it("on a retired model set explicitly, fails naming the deployable successor the API reports, with the exact settings", async () => {
    const f = await arm();
    for (const models of Object.values(f.state.models)) {
      const m = models.find((x) => x.name === "gpt-35-turbo");
      if (m) {
        m.lifecycleStatus = "Deprecated";
        m.inferenceDeprecation = "2025-11-14T00:00:00Z";
        m.replacement = { name: "gpt-4o-mini", version: "2024-07-18" };
      }
    }
    const cwd = tempDir();
    const r = await preflight(f, [], { LAB_MODEL: "gpt-35-turbo" }, cwd);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+model\s+eastus2\s+gpt-35-turbo 0125: lifecycle Deprecated/);
    expect(r.stdout).toContain("gpt-35-turbo 0125 cannot be deployed in any lab region");
    expect(r.stdout).toContain("LAB_MODEL=gpt-4o-mini LAB_MODEL_VERSION=2024-07-18 (Standard in eastus2, northcentralus, swedencentral, switzerlandwest)");
    expect(existsSync(choicesPath(cwd))).toBe(false);
    // The lab's default request moves to that successor instead.
    const moved = await preflight(f, ["--json"], {}, cwd);
    expect(moved.code, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout).chosenModel).toEqual({ name: "gpt-4o-mini", version: "2024-07-18", deploymentType: "Standard" });
  });

  it("fails on a soft-deleted account holding the name; --fix purges it", async () => {
    const f = await arm();
    const cwd = tempDir();
    const name = JSON.parse((await preflight(f, ["--json"], {}, cwd)).stdout)
      .results.find((x: { check: string }) => x.check === "soft-deleted")
      .detail.split(" ")
      .pop();
    f.state.deletedAccounts.push({ name, location: "swedencentral", resourceGroup: "rg-old" });
    const blocked = await preflight(f, [], {}, cwd);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toMatch(/soft-deleted account holds .* — fix: run `evallab preflight --fix`/);
    const fixed = await preflight(f, ["--fix"], {}, cwd);
    expect(fixed.code, fixed.stdout).toBe(0);
    expect(f.state.deletedAccounts).toEqual([]);
    expect(f.calls.some((c) => c.method === "DELETE" && c.path.includes("/deletedAccounts/"))).toBe(true);
  });

  it("registers missing providers with --fix", async () => {
    const f = await arm();
    f.state.providers["Microsoft.Databricks"] = "NotRegistered";
    const r = await preflight(f);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Microsoft\.Databricks is NotRegistered — fix: run `evallab preflight --fix`/);
    const fixed = await preflight(f, ["--fix"]);
    expect(fixed.stdout).toMatch(/WARN\s+provider\s+Microsoft\.Databricks is Registering/);
    expect(f.calls.some((c) => c.method === "POST" && c.path.endsWith("/Microsoft.Databricks/register"))).toBe(true);
  });

  it("reports a disabled subscription and a bad token clearly", async () => {
    const f = await arm({ subscriptionState: "Disabled" });
    const r = await preflight(f);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+subscription\s+Lab subscription is Disabled/);
    const bad = await preflight(f, [], { LAB_ARM_TOKEN: "expired" });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/InvalidAuthenticationToken.*az login/);
  });

  it("needs a subscription", async () => {
    const r = await runCli(["preflight"], { cwd: tempDir(), env: { LAB_ARM_TOKEN: "x", AZURE_CONFIG_DIR: missingPath() } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ARM_SUBSCRIPTION_ID/);
  });
});

describe("evallab preflight on a catalog like today's", () => {
  const today = () => arm({ models: todayCatalog(), openAiUsage: todayUsages() });
  const read = (cwd: string) => JSON.parse(readFileSync(choicesPath(cwd), "utf8"));

  it("moves the default model to a deployable successor, says so once, and the synth deploys it with its SKU", async () => {
    const f = await today();
    const cwd = tempDir();
    const r = await preflight(f, [], {}, cwd);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const note = "gpt-35-turbo 0125 cannot be deployed (retired for inference on 2025-11-14 in every lab region); deploying gpt-5-mini 2025-08-07";
    expect(r.stderr.split("\n").filter((l) => l.includes(note))).toHaveLength(1);
    expect(r.stderr).toContain("choose another with LAB_MODEL and LAB_MODEL_VERSION");
    const saved = read(cwd);
    // auto: DataZoneStandard where offered (eastus2, swedencentral), else GlobalStandard.
    const type = ["eastus2", "swedencentral"].includes(saved.region) ? "DataZoneStandard" : "GlobalStandard";
    expect(saved.model).toEqual({ name: "gpt-5-mini", version: "2025-08-07", deploymentType: type });
    expect(saved.suffix).toMatch(/^[a-z0-9]{6}$/);

    const { stacks, config } = synthLab({}, { rootDir: cwd });
    expect(config.region).toBe(saved.region);
    const dep = only(stacks.lab, "resource", "azurerm_cognitive_deployment");
    expect(dep).toMatchObject({ name: "gpt-5-mini", model: { name: "gpt-5-mini", version: "2025-08-07" }, sku: { name: type, capacity: 5 } });
    // gpt-5-mini is served by the v1 API, not by the dated 2024-10-21.
    expect(stacks.lab.output.openai_api_version.value).toBe("v1");
    const cluster = only(stacks["lab-databricks"], "resource", "databricks_cluster");
    expect(cluster.spark_env_vars.AZURE_OPENAI_API_VERSION).toBe("v1");
    expect(cluster.spark_env_vars.AZURE_OPENAI_DEPLOYMENT).toBe("gpt-5-mini");

    // A second preflight keeps the same decision.
    expect((await preflight(f, [], {}, cwd)).code).toBe(0);
    expect(read(cwd).model).toEqual(saved.model);
  });

  it("is strict with an explicit model: fails naming only deployable models, and persists nothing", async () => {
    const f = await today();
    const cwd = tempDir();
    const r = await preflight(f, [], { LAB_MODEL: "gpt-4o-mini", LAB_MODEL_VERSION: "2024-07-18" }, cwd);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("error: gpt-4o-mini 2024-07-18 cannot be deployed in any lab region: retired for inference on 2026-10-01 in every lab region");
    const fix = r.stdout.split("\n").find((l) => l.startsWith("fix: ")) ?? "";
    expect(fix).toBe(
      "fix: choose a model Azure deploys today: LAB_MODEL=gpt-5-mini LAB_MODEL_VERSION=2025-08-07 (DataZoneStandard/GlobalStandard in eastus2, northcentralus, swedencentral, switzerlandwest); " +
        "or LAB_MODEL=gpt-5.4-mini LAB_MODEL_VERSION=2026-03-17 (GlobalStandard in eastus2, swedencentral)",
    );
    for (const retired of ["gpt-35-turbo", "gpt-4.1-mini", "text-embedding"]) expect(fix).not.toContain(retired);
    expect(existsSync(choicesPath(cwd))).toBe(false);
    expect(readdirSync(join(cwd, ".evallab"))).toEqual([]); // the lock, released; nothing written
  });

  it("honours an explicit deployment type, and fails without writing when no model offers it", async () => {
    const f = await today();
    const global = await preflight(f, ["--json"], { LAB_DEPLOYMENT_TYPE: "GlobalStandard" });
    expect(global.code, global.stderr).toBe(0);
    expect(JSON.parse(global.stdout).chosenModel).toEqual({ name: "gpt-5-mini", version: "2025-08-07", deploymentType: "GlobalStandard" });

    const cwd = tempDir();
    const standard = await preflight(f, [], { LAB_DEPLOYMENT_TYPE: "Standard" }, cwd);
    expect(standard.code).toBe(1);
    expect(standard.stdout).toContain("fix: no chat model is deployable as Standard with 5K TPM of quota in the lab regions: set LAB_DEPLOYMENT_TYPE=auto");
    expect(existsSync(choicesPath(cwd))).toBe(false);
  });

  it("persists nothing when the subscription has no quota for any current model", async () => {
    const f = await today();
    for (const u of Object.values(f.state.openAiUsage)) for (const k of Object.keys(u)) u[k] = { current: u[k].limit, limit: u[k].limit };
    const cwd = tempDir();
    const r = await preflight(f, [], {}, cwd);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+openai-quota\s+eastus2\s+OpenAI\.DataZoneStandard\.gpt-5-mini: 0K TPM free of 100K/);
    expect(existsSync(choicesPath(cwd))).toBe(false);
  });
});
