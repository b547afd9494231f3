// Model resolution against a catalog shaped like Azure's today: what the lab may deploy, and what it says.
import { describe, expect, it } from "vitest";
import type { AccountModel } from "../../scripts/preflight/azure-facts.ts";
import { catalogVerdict, type ModelRequest, offerIn, type RegionCatalog, resolveModel } from "../../scripts/preflight/model-choice.ts";
import { DEFAULTS } from "../../stacks/config.ts";
import { armModel, type FakeModel, todayCatalog, todayUsages } from "../fakes/arm.ts";

const TODAY = Date.parse("2026-11-29T12:00:00Z");
const usageList = (byName: Record<string, { current: number; limit: number }>) =>
  Object.entries(byName).map(([value, u]) => ({ name: { value }, currentValue: u.current, limit: u.limit }));

function catalogs(models = todayCatalog(), usages = todayUsages()): RegionCatalog[] {
  return Object.keys(models).map((region) => ({ region, models: models[region].map(armModel) as AccountModel[], usages: usageList(usages[region] ?? {}) }));
}

const request = (over: Partial<ModelRequest> = {}): ModelRequest => ({
  ref: { name: "gpt-35-turbo", version: "0125" },
  explicit: false,
  fallbackModels: DEFAULTS.fallbackModels,
  deploymentType: "auto",
  capacity: 5,
  ...over,
});
const everywhere = () => true;
const entry = (name: string, region = "eastus2") => armModel(todayCatalog()[region].find((m) => m.name === name) as FakeModel) as AccountModel;

describe("catalogVerdict", () => {
  it("counts a past retirement date even when lifecycleStatus still says GenerallyAvailable", () => {
    const e = entry("gpt-35-turbo");
    expect(e.model.lifecycleStatus).toBe("GenerallyAvailable");
    expect(catalogVerdict(e, TODAY)).toMatchObject({ ok: false, reason: "retired for inference on 2025-11-14" });
    expect(catalogVerdict(e, Date.parse("2025-11-13T00:00:00Z")).ok).toBe(true);
  });

  it("refuses a model that cannot chat, and drops SKUs past their own retirement date", () => {
    expect(catalogVerdict(entry("text-embedding-3-small"), TODAY)).toMatchObject({ ok: false, reason: "cannot serve chat completions" });
    const mini = entry("gpt-4o-mini");
    // Before the Global retirement but after the regional one: only GlobalStandard is left.
    expect(catalogVerdict(mini, Date.parse("2026-06-01T00:00:00Z")).types.map((t) => t.type)).toEqual(["GlobalStandard"]);
  });
});

describe("offerIn", () => {
  it("auto prefers Standard, then DataZoneStandard, then GlobalStandard, taking the first with quota", () => {
    const [eastus2, northcentralus] = catalogs();
    const ref = { name: "gpt-5-mini", version: "2025-08-07" };
    expect(offerIn(eastus2, ref, "auto", 5, TODAY).pick).toMatchObject({ type: "DataZoneStandard", usageName: "OpenAI.DataZoneStandard.gpt-5-mini" });
    expect(offerIn(northcentralus, ref, "auto", 5, TODAY).pick).toMatchObject({ type: "GlobalStandard" });
    // DataZone quota too small for the capacity: the next type with room is taken.
    expect(offerIn(eastus2, ref, "auto", 150, TODAY).pick).toMatchObject({ type: "GlobalStandard" });
    expect(offerIn(eastus2, ref, "Standard", 5, TODAY)).toMatchObject({
      deployable: false,
      reason: "not offered as Standard (offered: DataZoneStandard, GlobalStandard)",
    });
  });

  it("reports the shortfall of the preferred type when no type has room", () => {
    const usages = todayUsages();
    for (const u of Object.values(usages)) for (const k of Object.keys(u)) u[k] = { current: 98, limit: 100 };
    const [eastus2] = catalogs(todayCatalog(), usages);
    expect(offerIn(eastus2, { name: "gpt-5-mini", version: "2025-08-07" }, "auto", 5, TODAY)).toMatchObject({
      deployable: true,
      short: { type: "DataZoneStandard", free: 2, limit: 100 },
    });
  });
});

describe("resolveModel", () => {
  it("moves the lab's default request past a retired replacement to the first deployable fallback", () => {
    const d = resolveModel(catalogs(), request(), TODAY, everywhere);
    // Azure names gpt-4o-mini as the replacement, but it retired on 2026-10-01: skipped.
    expect(d.chosen).toEqual({ name: "gpt-5-mini", version: "2025-08-07", source: "fallback" });
    expect(d.why).toBe("retired for inference on 2025-11-14 in every lab region");
  });

  it("takes Azure's declared replacement when it is deployable", () => {
    const models = todayCatalog();
    for (const list of Object.values(models)) {
      const old = list.find((m) => m.name === "gpt-35-turbo") as FakeModel;
      old.replacement = { name: "gpt-5-mini" };
    }
    expect(resolveModel(catalogs(models), request(), TODAY, everywhere).chosen).toEqual({ name: "gpt-5-mini", version: "2025-08-07", source: "replacement" });
  });

  it("falls back to the newest deployable chat model, never an embedding model", () => {
    const d = resolveModel(catalogs(), request({ fallbackModels: [] }), TODAY, everywhere);
    expect(d.chosen).toEqual({ name: "gpt-5.4-mini", version: "2026-03-17", source: "newest" });
  });

  it("is strict with an explicit request and names only models deployable today", () => {
    const d = resolveModel(catalogs(), request({ ref: { name: "gpt-4o-mini", version: "2024-07-18" }, explicit: true }), TODAY, everywhere);
    expect(d.chosen).toBeUndefined();
    expect(d.why).toBe("retired for inference on 2026-10-01 in every lab region");
    expect(d.alternatives.map((a) => `${a.name} ${a.version}`)).toEqual(["gpt-5-mini 2025-08-07", "gpt-5.4-mini 2026-03-17"]);
    expect(d.alternatives[1].regions).toEqual(["eastus2", "swedencentral"]);
  });

  it("never moves a deployed lab's model, and skips regions that fail the other checks", () => {
    const deployed = { name: "gpt-5-mini", version: "2025-08-07" };
    expect(resolveModel(catalogs(), request({ deployed }), TODAY, everywhere).chosen).toEqual({ ...deployed, source: "deployed" });
    // gpt-5.4-mini is only in eastus2 and swedencentral; with their vCPUs short it cannot be had.
    const d = resolveModel(catalogs(), request({ fallbackModels: ["gpt-5.4-mini"] }), TODAY, (r) => r !== "eastus2" && r !== "swedencentral");
    expect(d.chosen).toEqual({ name: "gpt-5-mini", version: "2025-08-07", source: "newest" });
  });
});
