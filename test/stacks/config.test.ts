import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { recordDrawn } from "../../scripts/lab-choices.ts";
import { ConfigError, choicesPath, envName, LAB_REGIONS, loadConfig, normalizeRegion } from "../../stacks/config.ts";
import { tempDir } from "../helpers/tmp.ts";

/** Load as a synth does (main.ts): the pure load, then record whatever it had to draw. */
function load(env: Record<string, string> = {}, configFile?: unknown, rootDir = tempDir()) {
  if (configFile !== undefined) {
    writeFileSync(join(rootDir, "lab.config.json"), typeof configFile === "string" ? configFile : JSON.stringify(configFile));
  }
  const config = loadConfig({ rootDir, env });
  recordDrawn(rootDir, config);
  return config;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("defaults", () => {
  it("gives the lab's settings with no configuration at all", () => {
    const c = load();
    expect(c).toMatchObject({
      prefix: "evallab",
      model: "gpt-35-turbo",
      modelVersion: "0125",
      deploymentName: "gpt-35-turbo",
      capacity: 5,
      deploymentType: "Standard",
      deploymentTypeSetting: "auto",
      fallbackModels: ["gpt-5-mini", "gpt-5.4-mini", "gpt-5-nano", "gpt-5.4-nano"],
      requestedModel: { name: "gpt-35-turbo", version: "0125", explicit: false },
      modelSource: "settings",
      versionUpgradeOption: "OnceNewDefaultVersionAvailable",
      apiVersion: "2024-10-21",
      databricksSku: "premium",
      nodeType: "Standard_D4ds_v5",
      autoterminationMinutes: 20,
      clusterLibraries: ["openai==1.42.0", "httpx<0.28", "textstat==0.7.11", "mlflow[databricks]>=3.4"],
    });
    expect(c.allTags).toEqual({ lab: "evallab", "expires-at": c.deadline });
    expect(LAB_REGIONS).toContain(c.region);
    expect(c.suffix).toMatch(/^[a-z0-9]{6}$/);
  });
});

describe("sources", () => {
  it("maps camelCase settings to LAB_ upper snake case", () => {
    expect(envName("modelVersion")).toBe("LAB_MODEL_VERSION");
    expect(envName("autoterminationMinutes")).toBe("LAB_AUTOTERMINATION_MINUTES");
    expect(envName("databricksSku")).toBe("LAB_DATABRICKS_SKU");
  });

  it("lets lab.config.json override defaults and LAB_* variables override the file", () => {
    const c = load(
      { LAB_CAPACITY: "8", LAB_TAGS: "owner=ana,course=ml101" },
      { capacity: 3, model: "gpt-4o-mini", modelVersion: "2024-07-18", databricksSku: "trial" },
    );
    expect(c.capacity).toBe(8);
    expect(c.model).toBe("gpt-4o-mini");
    expect(c.deploymentName).toBe("gpt-4o-mini");
    expect(c.databricksSku).toBe("trial");
    expect(c.allTags).toEqual({ owner: "ana", course: "ml101", lab: "evallab", "expires-at": c.deadline });
  });

  it("parses list and object settings from variables as CSV or JSON", () => {
    const c = load({ LAB_CLUSTER_LIBRARIES: '["openai==1.42.0"]', LAB_TAGS: '{"team":"x"}', LAB_EXPIRES_IN: "off" });
    expect(c.clusterLibraries).toEqual(["openai==1.42.0"]);
    expect(c.allTags).toEqual({ team: "x", lab: "evallab" });
    expect(load({ LAB_CLUSTER_LIBRARIES: "a==1, b<2" }).clusterLibraries).toEqual(["a==1", "b<2"]);
  });

  it("accepts the seed's preview API version", () => {
    expect(load({ LAB_API_VERSION: "2023-03-15-preview" }).apiVersion).toBe("2023-03-15-preview");
  });
});

describe("model, deployment type and API version", () => {
  const saveModel = (root: string, model: object) => writeFileSync(choicesPath(root), JSON.stringify({ model }));
  const prepared = (model: object) => {
    const root = tempDir();
    load({}, undefined, root); // lays out .evallab/
    saveModel(root, model);
    return root;
  };
  const successor = { name: "gpt-5-mini", version: "2025-08-07", deploymentType: "GlobalStandard" };

  it("defaults the API version to one that serves the model: dated GA for the seed's, v1 for current ones", () => {
    expect(load().apiVersion).toBe("2024-10-21");
    expect(load({ LAB_MODEL: "gpt-5-mini", LAB_MODEL_VERSION: "2025-08-07" }).apiVersion).toBe("v1");
    expect(load({ LAB_MODEL: "gpt-5-mini", LAB_API_VERSION: "2025-04-01-preview" }).apiVersion).toBe("2025-04-01-preview");
    expect(load({ LAB_API_VERSION: "v1" }).apiVersion).toBe("v1");
  });

  it("deploys preflight's persisted successor for the default request, with its type and API version", () => {
    const c = load({}, undefined, prepared(successor));
    expect(c).toMatchObject({
      model: "gpt-5-mini",
      modelVersion: "2025-08-07",
      deploymentType: "GlobalStandard",
      deploymentName: "gpt-5-mini",
      apiVersion: "v1",
      modelSource: "persisted",
    });
    expect(c.requestedModel).toEqual({ name: "gpt-35-turbo", version: "0125", explicit: false });
  });

  it("never lets a persisted choice override an explicit model, but keeps its type for that very model", () => {
    const root = prepared(successor);
    expect(load({ LAB_MODEL: "gpt-5.4-mini", LAB_MODEL_VERSION: "2026-03-17" }, undefined, root)).toMatchObject({
      model: "gpt-5.4-mini",
      deploymentType: "Standard",
      modelSource: "settings",
    });
    expect(load({ LAB_MODEL: "gpt-5-mini", LAB_MODEL_VERSION: "2025-08-07" }, undefined, root)).toMatchObject({
      deploymentType: "GlobalStandard",
      modelSource: "persisted",
    });
    expect(load({ LAB_DEPLOYMENT_TYPE: "DataZoneStandard" }, undefined, root)).toMatchObject({ model: "gpt-35-turbo", deploymentType: "DataZoneStandard" });
  });

  it("parses the fallback list and rejects an unknown deployment type or API version with the allowed values", () => {
    expect(load({ LAB_FALLBACK_MODELS: "gpt-5-nano, gpt-5-mini" }).fallbackModels).toEqual(["gpt-5-nano", "gpt-5-mini"]);
    expect(problemsOf(() => load({ LAB_DEPLOYMENT_TYPE: "ProvisionedManaged" }))).toEqual([
      'deploymentType: must be auto or one of Standard, DataZoneStandard, GlobalStandard (got "ProvisionedManaged" from LAB_DEPLOYMENT_TYPE); set "deploymentType" in lab.config.json or LAB_DEPLOYMENT_TYPE',
    ]);
    expect(problemsOf(() => load({ LAB_API_VERSION: "latest" }))[0]).toMatch(/^apiVersion: must be auto, v1 \(the GA v1 API\) or a dated version/);
  });
});

describe("tags follow Azure's rules", () => {
  it.each([
    ['{"a/b":"x"}', 'tag name "a/b" holds one of < > % & \\ ? /'],
    ['{"Env":"a","env":"b"}', 'tags "Env" and "env" differ only in case'],
    ['{"LAB":"x"}', 'tag name "LAB" is the lab\'s own'],
    [JSON.stringify(Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, "v"]))), "49 tags: at most 48"],
    [JSON.stringify({ k: "v".repeat(257) }), "tag values are at most 256 characters"],
  ])("rejects %s", (tags, message) => {
    const problems = problemsOf(() => load({ LAB_TAGS: tags }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
    expect(problems[0]).toMatch(/set "tags" in lab\.config\.json or LAB_TAGS$/);
  });

  it("accepts 48 tags of the longest allowed name", () => {
    const tags = Object.fromEntries(Array.from({ length: 48 }, (_, i) => [`${i}`.padStart(512, "k"), "v"]));
    expect(Object.keys(load({ LAB_TAGS: JSON.stringify(tags) }).allTags)).toHaveLength(50);
  });
});

describe("region", () => {
  it.each([
    ["Sweden Central", "swedencentral"],
    ["East US 2", "eastus2"],
    ["switzerland-west", "switzerlandwest"],
    ["NorthCentralUS", "northcentralus"],
  ])("normalizes display name %s", (input, expected) => {
    expect(normalizeRegion(input)).toBe(expected);
    expect(load({ LAB_REGION: input }).region).toBe(expected);
  });

  it("draws once, persists, and never moves on later loads", () => {
    const root = tempDir();
    const first = load({}, undefined, root);
    const persisted = JSON.parse(readFileSync(choicesPath(root), "utf8"));
    expect(persisted).toEqual({ region: first.region, suffix: first.suffix, deadline: first.deadline });
    for (let i = 0; i < 5; i++) {
      const again = load({}, undefined, root);
      expect(again.region).toBe(first.region);
      expect(again.names).toEqual(first.names);
    }
  });

  it("loadConfig itself writes nothing; once the names are decided, a synth writes nothing either", () => {
    const root = tempDir();
    const pure = loadConfig({ rootDir: root, env: {} });
    expect(readdirSync(root)).toEqual([]);
    expect(Object.keys(pure.drawn).sort()).toEqual(["deadline", "region", "suffix"]);
    load({}, undefined, root);
    const before = { text: readFileSync(choicesPath(root), "utf8"), mtime: statSync(choicesPath(root)).mtimeMs };
    const again = load({}, undefined, root);
    expect(again.drawn).toEqual({});
    expect(readFileSync(choicesPath(root), "utf8")).toBe(before.text);
    expect(statSync(choicesPath(root)).mtimeMs).toBe(before.mtime);
  });

  it("does not persist an explicitly configured region, but keeps the suffix", () => {
    const root = tempDir();
    load({ LAB_REGION: "eastus2" }, undefined, root);
    const persisted = JSON.parse(readFileSync(choicesPath(root), "utf8"));
    expect(persisted.region).toBeUndefined();
    expect(persisted.suffix).toMatch(/^[a-z0-9]{6}$/);
  });

  it("rejects a region outside the lab's four with the allowed list", () => {
    const [p] = problemsOf(() => load({ LAB_REGION: "westeurope" }));
    expect(p).toContain("region");
    expect(p).toContain('"westeurope"');
    expect(p).toContain("LAB_REGION");
    for (const r of LAB_REGIONS) expect(p).toContain(r);
  });
});

describe("validation", () => {
  it.each([
    ["0", { min: 0, max: 0 }],
    ["4", { min: 4, max: 4 }],
    ["2-8", { min: 2, max: 8 }],
  ])("reads LAB_WORKERS=%s", (workers, parsed) => {
    expect(load({ LAB_WORKERS: workers }).workers).toEqual(parsed);
  });
  it.each(["8-2", "0-4", "many", "101", "-3"])("rejects LAB_WORKERS=%s naming the forms", (workers) => {
    expect(problemsOf(() => load({ LAB_WORKERS: workers }))[0]).toMatch(/^workers: /);
  });
  it("rejects capacity 0", () => {
    expect(problemsOf(() => load({ LAB_CAPACITY: "0" }))[0]).toMatch(/capacity: must be at least 1/);
  });
  it("rejects a non-numeric capacity", () => {
    expect(problemsOf(() => load({ LAB_CAPACITY: "lots" }))[0]).toMatch(/capacity/);
  });
  it("rejects an unknown Databricks sku with the allowed values", () => {
    expect(problemsOf(() => load({ LAB_DATABRICKS_SKU: "standard" }))[0]).toMatch(/databricksSku: must be one of premium, trial/);
  });
  it("rejects a prefix too long", () => {
    expect(problemsOf(() => load({ LAB_PREFIX: "a".repeat(25) }))[0]).toMatch(/prefix: must be at most 24/);
  });
  it.each(["Lab", "my-lab", "lab_1", "1lab", "l"])("rejects the illegal prefix %s", (prefix) => {
    expect(problemsOf(() => load({ LAB_PREFIX: prefix }))[0]).toMatch(/^prefix: /);
  });
  it("derives names that fit Azure's rules for the longest allowed prefix", () => {
    const c = load({ LAB_PREFIX: "a".repeat(24) });
    expect(c.names.openaiSubdomain.length).toBeLessThanOrEqual(63);
    expect(c.names.databricksWorkspace.length).toBeLessThanOrEqual(64);
  });
  it("lists every problem at once, naming where each value came from", () => {
    const problems = problemsOf(() => load({ LAB_REGION: "mars", LAB_CAPACITY: "0" }, { databricksSku: "standard", autoterminationMinutes: 5 }));
    expect(problems).toHaveLength(4);
    expect(problems.join("\n")).toContain("from lab.config.json");
    expect(problems.join("\n")).toContain("from LAB_REGION");
  });
  it("reports a lab.config.json that is not JSON", () => {
    expect(problemsOf(() => load({}, "{ region: "))[0]).toMatch(/lab.config.json: not valid JSON/);
  });
  it("reports a lab.config.json that is not an object", () => {
    expect(problemsOf(() => load({}, "[1,2]"))[0]).toMatch(/must hold one JSON object/);
  });
  it("reports unknown settings in lab.config.json with the known ones", () => {
    const [p] = problemsOf(() => load({}, { regoin: "eastus2" }));
    expect(p).toContain('"regoin"');
    expect(p).toContain("region");
  });
  it("fails before writing any choice", () => {
    const root = tempDir();
    problemsOf(() => load({ LAB_CAPACITY: "0" }, undefined, root));
    expect(existsSync(choicesPath(root))).toBe(false);
  });
});

describe("expiresIn and the deadline", () => {
  it("defaults to 8h: a deadline 8 hours out, tagged as expires-at, fixed across loads", () => {
    const root = tempDir();
    const before = Date.now();
    const c = load({}, undefined, root);
    expect(c.expiresIn).toBe("8h");
    const at = Date.parse(c.deadline ?? "");
    expect(at).toBeGreaterThanOrEqual(before + 8 * 3_600_000 - 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 8 * 3_600_000);
    expect(c.deadline).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(c.allTags["expires-at"]).toBe(c.deadline);
    expect(load({ LAB_EXPIRES_IN: "2d" }, undefined, root).deadline).toBe(c.deadline);
  });
  it("has no deadline and no tag with off", () => {
    const c = load({ LAB_EXPIRES_IN: "off" });
    expect(c.deadline).toBeUndefined();
    expect(c.allTags["expires-at"]).toBeUndefined();
  });
  it("replaces a past deadline of a lab that is not deployed, keeps it for a deployed one", () => {
    const root = tempDir();
    load({}, undefined, root);
    const past = "2020-01-01T00:00:00Z";
    writeFileSync(choicesPath(root), JSON.stringify({ ...JSON.parse(readFileSync(choicesPath(root), "utf8")), deadline: past }));
    expect(load({}, undefined, root).deadline).not.toBe(past);
    writeFileSync(choicesPath(root), JSON.stringify({ ...JSON.parse(readFileSync(choicesPath(root), "utf8")), deadline: past }));
    // An empty state (what terraform leaves after destroy) is not a deployed lab.
    writeFileSync(join(root, "terraform.lab.tfstate"), JSON.stringify({ version: 4, serial: 3, resources: [], outputs: {} }));
    expect(load({}, undefined, root).deadline).not.toBe(past);
    writeFileSync(choicesPath(root), JSON.stringify({ ...JSON.parse(readFileSync(choicesPath(root), "utf8")), deadline: past }));
    const rg = { mode: "managed", type: "azurerm_resource_group", name: "rg", instances: [{ attributes: { name: "rg-x" } }] };
    writeFileSync(join(root, "terraform.lab.tfstate"), JSON.stringify({ version: 4, serial: 2, resources: [rg], outputs: {} }));
    expect(load({}, undefined, root).deadline).toBe("2020-01-01T00:00:00Z");
  });
  it.each(["8x", "8", "10m", "31d", "soon"])("rejects expiresIn %s", (v) => {
    expect(problemsOf(() => load({ LAB_EXPIRES_IN: v }))[0]).toMatch(/^expiresIn: /);
  });
});
