// Which model, version and deployment type the lab deploys, decided from what ARM's catalog offers
// today (models list + usages, per region) — never from a hard-coded belief about what is current.
import { DEPLOYMENT_TYPES, type DeploymentType, type DeploymentTypeSetting } from "../../stacks/config.ts";
import type { AccountModel, Usage } from "./azure-facts.ts";

export interface ModelRef {
  name: string;
  version: string;
}

export interface RegionCatalog {
  region: string;
  models: AccountModel[];
  usages: Usage[];
}

/** A deployment type with the quota it draws from (`OpenAI.<Type>.<model>`). */
export interface Offer {
  type: DeploymentType;
  usageName: string;
  free: number;
  limit: number;
}

export interface RegionOffer {
  /** The model version can be deployed here (chat, not retired, some wanted type offered). */
  deployable: boolean;
  reason?: string;
  /** The type the lab takes: the first wanted type with quota for the capacity. */
  pick?: Offer;
  /** When no wanted type has room: the preferred one, to show the shortfall. */
  short?: Offer;
}

const time = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);
const isoDay = (iso: string | undefined) => iso?.slice(0, 10);

/**
 * Can this catalog entry be deployed today, and as which types? Dates decide, whatever
 * `lifecycleStatus` says: a past `deprecation.inference` (or SKU `deprecationDate`) is retired.
 */
export function catalogVerdict(entry: AccountModel, today: number): { ok: boolean; reason?: string; types: { type: DeploymentType; usageName: string }[] } {
  const m = entry.model;
  if (m.capabilities?.chatCompletion !== "true") return { ok: false, reason: "cannot serve chat completions", types: [] };
  if (m.lifecycleStatus === "Deprecated" || m.lifecycleStatus === "Retired") return { ok: false, reason: `lifecycle ${m.lifecycleStatus}`, types: [] };
  if (time(m.deprecation?.inference) <= today) return { ok: false, reason: `retired for inference on ${isoDay(m.deprecation?.inference)}`, types: [] };
  const types = DEPLOYMENT_TYPES.flatMap((type) => {
    const sku = m.skus?.find((s) => s.name === type);
    if (!sku || time(sku.deprecationDate) <= today) return [];
    return [{ type, usageName: sku.usageName ?? `OpenAI.${type}.${m.name}` }];
  });
  if (types.length === 0) {
    const gone = m.skus?.find((s) => time(s.deprecationDate) <= today);
    return { ok: false, reason: gone ? `${gone.name} deployments retired on ${isoDay(gone.deprecationDate)}` : "no deployment type offered", types };
  }
  return { ok: true, types };
}

/** The model version in one region: deployable? as which type, with room for `capacity`? */
export function offerIn(cat: RegionCatalog, ref: ModelRef, typeSetting: DeploymentTypeSetting, capacity: number, today: number): RegionOffer {
  const entry = cat.models.find((e) => e.model.name === ref.name && e.model.version === ref.version);
  if (!entry) return { deployable: false, reason: "not offered in this region" };
  const verdict = catalogVerdict(entry, today);
  if (!verdict.ok) return { deployable: false, reason: verdict.reason };
  // `auto` prefers the lab's regional Standard, then DataZoneStandard, then GlobalStandard.
  const wanted = verdict.types.filter((t) => typeSetting === "auto" || t.type === typeSetting);
  if (wanted.length === 0) return { deployable: false, reason: `not offered as ${typeSetting} (offered: ${verdict.types.map((t) => t.type).join(", ")})` };
  const offers = wanted.map((t): Offer => {
    const u = cat.usages.find((x) => x.name.value === t.usageName);
    return { ...t, free: u ? u.limit - u.currentValue : 0, limit: u?.limit ?? 0 };
  });
  const pick = offers.find((o) => o.free >= capacity);
  return pick ? { deployable: true, pick } : { deployable: true, short: offers[0] };
}

export type ModelSource = "requested" | "deployed" | "replacement" | "fallback" | "newest";

export interface ModelRequest {
  ref: ModelRef;
  /** Set by the user (LAB_MODEL / LAB_MODEL_VERSION or lab.config.json): never substituted. */
  explicit: boolean;
  fallbackModels: readonly string[];
  deploymentType: DeploymentTypeSetting;
  capacity: number;
  /** What a deployed lab runs: kept as is, never moved. */
  deployed?: ModelRef;
}

export interface ModelDecision {
  requested: ModelRef;
  chosen?: ModelRef & { source: ModelSource };
  /** Why the requested model cannot be had (set when it was substituted or nothing fits). */
  why?: string;
  /** With nothing chosen: the first candidate Azure offers at all (its rows show what is short, e.g. quota). */
  closest?: ModelRef;
  /** Deployable alternatives today, for messages: never a retired model. */
  alternatives: (ModelRef & { types: DeploymentType[]; regions: string[] })[];
}

const dateKey = (v: string) => (/^\d{4}-\d{2}-\d{2}$/.test(v) ? v : "0000-00-00");

/** Every version of `name` deployable somewhere, newest first. */
function versionsOf(cats: RegionCatalog[], name: string, today: number): string[] {
  const vs = new Set<string>();
  for (const c of cats) for (const e of c.models) if (e.model.name === name && catalogVerdict(e, today).ok) vs.add(e.model.version);
  return [...vs].sort((a, b) => dateKey(b).localeCompare(dateKey(a)) || b.localeCompare(a));
}

/** Every generally available chat model deployable somewhere, newest version first. */
function newestChatModels(cats: RegionCatalog[], today: number): ModelRef[] {
  const seen = new Map<string, ModelRef>();
  for (const c of cats) {
    for (const e of c.models) {
      if (e.model.lifecycleStatus === "Preview" || !catalogVerdict(e, today).ok) continue;
      seen.set(`${e.model.name}@${e.model.version}`, { name: e.model.name, version: e.model.version });
    }
  }
  return [...seen.values()].sort((a, b) => dateKey(b.version).localeCompare(dateKey(a.version)) || a.name.localeCompare(b.name));
}

/** Successors in the order the lab tries them: Azure's declared replacement, the fallback list, the newest. */
function successors(cats: RegionCatalog[], req: ModelRequest, today: number): (ModelRef & { source: ModelSource })[] {
  const out: (ModelRef & { source: ModelSource })[] = [];
  for (const c of cats) {
    const target = c.models.find((e) => e.model.name === req.ref.name && e.model.version === req.ref.version)?.model.replacementConfig;
    if (!target?.targetModelName) continue;
    for (const version of target.targetModelVersion ? [target.targetModelVersion] : versionsOf(cats, target.targetModelName, today).slice(0, 1)) {
      out.push({ name: target.targetModelName, version, source: "replacement" });
    }
  }
  for (const name of req.fallbackModels) {
    for (const version of versionsOf(cats, name, today).slice(0, 1)) out.push({ name, version, source: "fallback" });
  }
  for (const ref of newestChatModels(cats, today)) out.push({ ...ref, source: "newest" });
  return out;
}

/** Where a model fits: regions (that also pass `regionOk`, e.g. vCPU quota) where it can be deployed with quota. */
export function regionsFor(cats: RegionCatalog[], ref: ModelRef, req: ModelRequest, today: number, regionOk: (region: string) => boolean) {
  return cats.filter((c) => regionOk(c.region) && offerIn(c, ref, req.deploymentType, req.capacity, today).pick).map((c) => c.region);
}

/** The most telling reason a model version cannot be had in any region. */
function whyNot(cats: RegionCatalog[], ref: ModelRef, req: ModelRequest, today: number): string {
  const offers = cats.map((c) => ({ region: c.region, o: offerIn(c, ref, req.deploymentType, req.capacity, today) }));
  const short = offers.find((x) => x.o.short);
  if (short?.o.short) return `no quota for ${req.capacity}K TPM (${short.o.short.usageName}: ${short.o.short.free}K free in ${short.region})`;
  if (offers.some((x) => x.o.deployable)) return "deployable only in regions that fail other checks";
  const reasons = [...new Set(offers.map((x) => x.o.reason))];
  return reasons.length === 1 ? `${reasons[0]} in every lab region` : offers.map((x) => `${x.region}: ${x.o.reason}`).join("; ");
}

/**
 * Decide the lab's model. A deployed lab keeps what it runs. An explicit request is strict. The
 * lab's default request moves to a successor when Azure no longer deploys it anywhere.
 */
export function resolveModel(cats: RegionCatalog[], req: ModelRequest, today: number, regionOk: (region: string) => boolean): ModelDecision {
  const fits = (ref: ModelRef) => regionsFor(cats, ref, req, today, regionOk).length > 0;
  const alternatives = () => {
    const seen = new Set<string>([`${req.ref.name}@${req.ref.version}`]);
    const list: ModelDecision["alternatives"] = [];
    for (const s of successors(cats, req, today)) {
      const key = `${s.name}@${s.version}`;
      if (seen.has(key) || list.length >= 3) continue;
      seen.add(key);
      const regions = regionsFor(cats, s, req, today, regionOk);
      if (regions.length === 0) continue;
      const types = [...new Set(cats.flatMap((c) => offerIn(c, s, req.deploymentType, req.capacity, today).pick?.type ?? []))];
      list.push({ name: s.name, version: s.version, types, regions });
    }
    return list;
  };
  if (req.deployed) return { requested: req.ref, chosen: { ...req.deployed, source: "deployed" }, alternatives: [] };
  if (fits(req.ref)) return { requested: req.ref, chosen: { ...req.ref, source: "requested" }, alternatives: [] };
  const why = whyNot(cats, req.ref, req, today);
  const candidates = req.explicit ? [] : successors(cats, req, today);
  const next = candidates.find(fits);
  if (next) return { requested: req.ref, chosen: next, why, alternatives: [] };
  const offered = (ref: ModelRef) => cats.some((c) => offerIn(c, ref, req.deploymentType, req.capacity, today).deployable);
  return { requested: req.ref, why, closest: [req.ref, ...candidates].find(offered), alternatives: alternatives() };
}

/** `LAB_MODEL=… LAB_MODEL_VERSION=…` for each alternative, with where and how it deploys. */
export function alternativesText(d: ModelDecision): string {
  return d.alternatives.map((a) => `LAB_MODEL=${a.name} LAB_MODEL_VERSION=${a.version} (${a.types.join("/")} in ${a.regions.join(", ")})`).join("; or ");
}
