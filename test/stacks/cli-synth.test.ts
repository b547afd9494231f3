// The real `cdktf synth`, as a user runs it.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LAB_REGIONS } from "../../stacks/config.ts";
import { labWorkdir, runCdktf } from "../helpers/cdktf-cli.ts";

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

const CANARIES = {
  ARM_CLIENT_SECRET: "canary-arm-client-secret-7f3a9",
  AZURE_OPENAI_API_KEY: "canary-openai-key-0b1c2d3e4f",
  DATABRICKS_TOKEN: "dapi-canary-token-5a6b7c",
  LAB_ARM_TOKEN: "canary-arm-bearer-9z8y7x",
  ARM_SUBSCRIPTION_ID: "00000000-1111-2222-3333-444444444444",
};

describe("npx cdktf synth", () => {
  it("writes both stacks with no configuration, and two synths agree on region and names", () => {
    const cwd = labWorkdir();
    const first = runCdktf(["synth"], { cwd, env: CANARIES });
    expect(first.status, first.output).toBe(0);
    const read = () => Object.fromEntries(["lab", "lab-databricks"].map((s) => [s, readFileSync(join(cwd, "cdktf.out", "stacks", s, "cdk.tf.json"), "utf8")]));
    const a = read();
    const rg = Object.values(JSON.parse(a.lab).resource.azurerm_resource_group)[0] as { location: string };
    expect(LAB_REGIONS).toContain(rg.location);

    const second = runCdktf(["synth"], { cwd, env: CANARIES });
    expect(second.status, second.output).toBe(0);
    expect(read()).toEqual(a);

    // No secret from the environment reaches the synthesized output.
    for (const file of filesUnder(join(cwd, "cdktf.out"))) {
      const text = readFileSync(file, "utf8");
      for (const [name, value] of Object.entries(CANARIES)) expect(text.includes(value), `${name} in ${file}`).toBe(false);
    }
  });

  it("puts every regional resource in LAB_REGION", () => {
    const cwd = labWorkdir();
    const r = runCdktf(["synth"], { cwd, env: { LAB_REGION: "swedencentral" } });
    expect(r.status, r.output).toBe(0);
    const lab = JSON.parse(readFileSync(join(cwd, "cdktf.out", "stacks", "lab", "cdk.tf.json"), "utf8"));
    const located = Object.values(lab.resource as Record<string, Record<string, { location?: string }>>)
      .flatMap((byName) => Object.values(byName))
      .filter((r) => r.location !== undefined);
    expect(located.length).toBe(3);
    for (const res of located) expect(res.location).toBe("swedencentral");
  });

  it("fails on a bad LAB_REGION with the allowed list", () => {
    const r = runCdktf(["synth"], { cwd: labWorkdir(), env: { LAB_REGION: "westeurope" } });
    expect(r.status).not.toBe(0);
    expect(r.output).toContain("region");
    for (const region of LAB_REGIONS) expect(r.output).toContain(region);
  });
});
