import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { choicesPath } from "../../stacks/config.ts";
import { FakeArm, type FakeArmState } from "../fakes/arm.ts";
import { runCli } from "../helpers/cli.ts";
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

  it("keeps a configured region that fails, naming the passing ones", async () => {
    const f = await arm();
    f.state.openAiUsage.eastus2["OpenAI.Standard.gpt-35-turbo"] = { current: 120, limit: 120 };
    const r = await preflight(f, [], { LAB_REGION: "eastus2" });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/the configured region eastus2 fails preflight \(passing regions: northcentralus, swedencentral, switzerlandwest\)/);
    expect(r.stdout).toMatch(/fix: set LAB_REGION=northcentralus/);
  });

  it("on a retired model, names the deployable successors the API reports, with the exact settings", async () => {
    const f = await arm();
    for (const models of Object.values(f.state.models)) {
      const m = models.find((x) => x.name === "gpt-35-turbo");
      if (m) {
        m.lifecycleStatus = "Deprecated";
        m.inferenceDeprecation = "2025-11-14T00:00:00Z";
        m.replacement = { name: "gpt-4o-mini", version: "2024-07-18" };
      }
    }
    const r = await preflight(f);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAIL\s+model\s+eastus2\s+gpt-35-turbo 0125: lifecycle Deprecated/);
    expect(r.stdout).toContain("gpt-35-turbo 0125 cannot be deployed in any lab region");
    expect(r.stdout).toContain("LAB_MODEL=gpt-4o-mini LAB_MODEL_VERSION=2024-07-18 (in eastus2, northcentralus, swedencentral, switzerlandwest)");
  });

  it("fails on a soft-deleted account holding the name; --fix purges it", async () => {
    const f = await arm();
    const cwd = tempDir();
    const name = JSON.parse((await preflight(f, ["--json"], {}, cwd)).stdout).results.find((x: { check: string }) => x.check === "soft-deleted").detail.split(" ").pop();
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
