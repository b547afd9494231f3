// The lab's one configuration object: schema, sources (defaults < lab.config.json < LAB_* variables,
// plus the decisions persisted in .evallab/choices.json), validation and derived names. Pure: it reads
// files and writes none; what it had to draw is returned in `drawn` for scripts/lab-choices.ts to record.
import { randomInt } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { defaultApiVersion } from "../eval/model/model-family.ts";
import { labDeployed } from "./terraform-state.ts";

export const LAB_REGIONS = ["eastus2", "northcentralus", "swedencentral", "switzerlandwest"] as const;
export type LabRegion = (typeof LAB_REGIONS)[number];
export const DATABRICKS_SKUS = ["premium", "trial"] as const;
/** Azure OpenAI deployment types the lab can take, in the order `auto` prefers them. */
export const DEPLOYMENT_TYPES = ["Standard", "DataZoneStandard", "GlobalStandard"] as const;
export type DeploymentType = (typeof DEPLOYMENT_TYPES)[number];
export type DeploymentTypeSetting = DeploymentType | "auto";
export const VERSION_UPGRADE_OPTIONS = ["OnceNewDefaultVersionAvailable", "OnceCurrentVersionExpired", "NoAutoUpgrade"] as const;

export const CONFIG_FILE = "lab.config.json";
/** Git-ignored folder holding the lab's persisted choices (see `.gitignore`). */
export const STATE_DIR = ".evallab";
export const CHOICES_FILE = "choices.json";

export const DEFAULTS = {
  prefix: "evallab",
  model: "gpt-35-turbo",
  modelVersion: "0125",
  deploymentType: "auto",
  // Small, inexpensive chat models Azure serves today (Microsoft's retirement table, checked 2026-11:
  // gpt-5-mini until 2027-02-06); tried in order when the asked model is retired. Preflight checks
  // each against ARM's catalog, so a name that retires later is simply skipped.
  fallbackModels: ["gpt-5-mini", "gpt-5.4-mini", "gpt-5-nano", "gpt-5.4-nano"],
  capacity: 5,
  versionUpgradeOption: "OnceNewDefaultVersionAvailable",
  // `auto`: the version that serves the deployed model (eval/model/model-family.ts).
  apiVersion: "auto",
  databricksSku: "premium",
  nodeType: "Standard_D4ds_v5",
  autoterminationMinutes: 20,
  // 0: the lab's single node; N workers; or "min-max" to autoscale (Spark for large evaluations).
  workers: "0",
  // The Unity Catalog catalog holding the lab's volume; empty: the workspace catalog Azure creates for a
  // workspace enabled for Unity Catalog automatically (named after the workspace, '-' as '_').
  volumeCatalog: "",
  // openai 1.42.0 crashes with httpx >= 0.28 (`proxies` TypeError); textstat pinned so cluster and local scores agree.
  clusterLibraries: ["openai==1.42.0", "httpx<0.28", "textstat==0.7.11", "mlflow[databricks]>=3.4"],
  tags: {} as Record<string, string>,
  expiresIn: "8h",
} as const;

const regionSchema = z.preprocess(
  (v) => (typeof v === "string" ? normalizeRegion(v) : v),
  z.enum(LAB_REGIONS, { error: () => `must be one of ${LAB_REGIONS.join(", ")}` }),
);

const settingsSchema = z.strictObject({
  prefix: z
    .string()
    .regex(/^[a-z][a-z0-9]*$/, "must start with a lowercase letter and hold only lowercase letters and digits")
    .min(2, "must be at least 2 characters")
    .max(24, "must be at most 24 characters (it stems names with Azure length limits)"),
  region: regionSchema.optional(),
  model: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, "must be an Azure OpenAI model name such as gpt-4o-mini"),
  modelVersion: z.string().regex(/^[0-9A-Za-z-]+$/, "must be a model version such as 0125 or 2024-07-18"),
  deploymentName: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/, "must be 2-64 letters, digits, '.', '_' or '-'")
    .optional(),
  deploymentType: z.enum(["auto", ...DEPLOYMENT_TYPES], { error: () => `must be auto or one of ${DEPLOYMENT_TYPES.join(", ")}` }),
  fallbackModels: z.array(z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, "must list Azure OpenAI model names such as gpt-5-mini")),
  capacity: z.number().int("must be a whole number").min(1, "must be at least 1 (thousand tokens per minute)").max(1000),
  versionUpgradeOption: z.enum(VERSION_UPGRADE_OPTIONS, {
    error: () => `must be one of ${VERSION_UPGRADE_OPTIONS.join(", ")}`,
  }),
  apiVersion: z
    .string()
    .regex(/^(auto|v1|\d{4}-\d{2}-\d{2}(-preview)?)$/, "must be auto, v1 (the GA v1 API) or a dated version such as 2024-10-21 or 2025-04-01-preview"),
  databricksSku: z.enum(DATABRICKS_SKUS, { error: () => `must be one of ${DATABRICKS_SKUS.join(", ")}` }),
  nodeType: z.string().regex(/^Standard_[A-Za-z0-9_]+$/, "must be an Azure VM size such as Standard_D4ds_v5"),
  autoterminationMinutes: z
    .number()
    .int("must be a whole number")
    .min(10, "must be 10-10000 (Databricks' allowed range)")
    .max(10000, "must be 10-10000 (Databricks' allowed range)"),
  clusterLibraries: z.array(z.string().min(1)).min(1, "must name at least one PyPI package"),
  volumeCatalog: z.string().regex(/^\w{0,255}$/, "must be a Unity Catalog catalog name (letters, digits, '_'), or empty for the workspace catalog"),
  workers: z.preprocess(
    (v) => (typeof v === "number" ? String(v) : v),
    z
      .string()
      .regex(/^(\d{1,3}|[1-9]\d{0,2}-\d{1,3})$/, "must be 0 (single node), a number of workers such as 4, or a range such as 2-8 to autoscale")
      .refine((v) => parseWorkers(v).max <= 100, "must be at most 100 workers")
      .refine((v) => parseWorkers(v).min <= parseWorkers(v).max, "a range must run from fewer to more workers, such as 2-8"),
  ),
  // Azure's tag rules: at most 50 per resource (the lab adds `lab` and `expires-at`), names up to 512
  // characters without < > % & \\ ? /, values up to 256, names case-insensitive.
  // learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations
  tags: z
    .record(z.string().min(1).max(512, "tag names are at most 512 characters"), z.string().max(256, "tag values are at most 256 characters"))
    .superRefine((tags, ctx) => {
      const keys = Object.keys(tags);
      if (keys.length > 48) ctx.addIssue({ code: "custom", message: `${keys.length} tags: at most 48 (Azure allows 50; the lab adds lab and expires-at)` });
      for (const k of keys.filter((k) => /[<>%&\\?/]/.test(k)))
        ctx.addIssue({ code: "custom", message: `tag name "${k}" holds one of < > % & \\ ? / (Azure refuses them)` });
      for (const k of keys.filter((k) => ["lab", "expires-at"].includes(k.toLowerCase()))) {
        ctx.addIssue({ code: "custom", message: `tag name "${k}" is the lab's own; choose another name` });
      }
      const seen = new Map<string, string>();
      for (const k of keys) {
        const other = seen.get(k.toLowerCase());
        if (other) ctx.addIssue({ code: "custom", message: `tags "${other}" and "${k}" differ only in case (Azure tag names are case-insensitive)` });
        seen.set(k.toLowerCase(), k);
      }
    }),
  expiresIn: z
    .string()
    .regex(/^(off|\d+[mhd])$/, "must be a duration such as 90m, 8h or 2d, or off")
    .refine(
      (v) => v === "off" || (durationMs(v) >= 30 * 60_000 && durationMs(v) <= 30 * 86_400_000),
      "must be between 30m and 30d (the teardown checks every 15 minutes)",
    ),
});

/** The cluster's size: 0–0 is the single node, N–N fixed workers, min–max autoscaling. */
export interface Workers {
  min: number;
  max: number;
}

/** "0" → single node; "4" → 4 workers; "2-8" → autoscale 2 to 8. */
export function parseWorkers(text: string): Workers {
  const [a, b] = text.split("-").map(Number);
  return { min: a, max: b ?? a };
}

/** "90m" / "8h" / "2d" → milliseconds. */
export function durationMs(text: string): number {
  const m = /^(\d+)([mhd])$/.exec(text.trim());
  if (!m) return Number.NaN;
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "m" | "h" | "d"];
}

export type LabSettings = z.infer<typeof settingsSchema>;

/** Names derived from prefix + suffix, each checked against the Azure rule it must satisfy. */
export interface LabNames {
  resourceGroup: string;
  openaiAccount: string;
  openaiSubdomain: string;
  databricksWorkspace: string;
  managedResourceGroup: string;
  secretScope: string;
  cluster: string;
  experiment: string;
  teardownGroup: string;
  teardownWorkflow: string;
  /** Unity Catalog schema and volume the large-data path streams files through (Files API). */
  volumeSchema: string;
  volume: string;
}

/** The model the lab deploys, decided by preflight from ARM's catalog and persisted with the region. */
export interface ModelChoice {
  name: string;
  version: string;
  deploymentType: DeploymentType;
}

export interface LabConfig extends Omit<LabSettings, "region" | "deploymentName" | "deploymentType" | "workers"> {
  /** The cluster's workers (0–0: the single node). */
  workers: Workers;
  region: LabRegion;
  deploymentName: string;
  /** The type the stack deploys: the configured one, or preflight's pick for `auto` (Standard until then). */
  deploymentType: DeploymentType;
  deploymentTypeSetting: DeploymentTypeSetting;
  /** What the configuration asks for; `model`/`modelVersion` are what is deployed (preflight may substitute). */
  requestedModel: { name: string; version: string; explicit: boolean };
  /** Where model, version and type come from: the settings, or preflight's persisted choice. */
  modelSource: "settings" | "persisted";
  /** Random per lab, stable across synths: keeps the global OpenAI subdomain unique. */
  suffix: string;
  /** Where the region came from: set by the user, persisted from an earlier draw, or drawn now. */
  regionSource: "configured" | "persisted" | "drawn";
  names: LabNames;
  /** Every taggable resource gets these: the user's tags plus `lab=<prefix>` (and `expires-at`). */
  allTags: Record<string, string>;
  /** When the teardown removes the lab (ISO 8601, UTC); undefined with `expiresIn: off`. */
  deadline?: string;
  /** Decisions this load had to make because none was persisted (suffix, a drawn region, a new deadline). */
  drawn: Choices;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid lab configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** "Sweden Central" / "SwedenCentral" / "swedencentral" → "swedencentral". */
export function normalizeRegion(value: string): string {
  return value.replace(/[\s_-]+/g, "").toLowerCase();
}

/** `modelVersion` → `LAB_MODEL_VERSION`. */
export function envName(setting: string): string {
  return `LAB_${setting.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
}

const SETTING_KEYS = Object.keys(settingsSchema.shape) as (keyof LabSettings)[];
const NUMBER_KEYS = new Set<string>(["capacity", "autoterminationMinutes"]);

/** Environment values are strings; give each the shape its setting has so one schema checks all sources. */
function fromEnvString(key: string, raw: string): unknown {
  const text = raw.trim();
  if (NUMBER_KEYS.has(key)) return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  if (key === "clusterLibraries" || key === "fallbackModels") {
    if (text.startsWith("[")) return parseJsonOr(text, raw);
    return text
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (key === "tags") {
    if (text.startsWith("{")) return parseJsonOr(text, raw);
    if (text === "") return {};
    return Object.fromEntries(
      text.split(",").map((pair) => {
        const at = pair.indexOf("=");
        return at < 0 ? [pair.trim(), ""] : [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
      }),
    );
  }
  return text;
}

function parseJsonOr(text: string, fallback: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fallback;
  }
}

export interface LoadOptions {
  /** Folder holding `lab.config.json` and `.evallab/`. */
  rootDir: string;
  env?: NodeJS.ProcessEnv;
  /** The clock a new deadline counts from. */
  now?: number;
}

export interface Choices {
  region?: LabRegion;
  model?: ModelChoice;
  suffix?: string;
  deadline?: string;
  deployedAt?: string;
  [other: string]: unknown;
}

export function choicesPath(rootDir: string): string {
  return join(rootDir, STATE_DIR, CHOICES_FILE);
}

export function readChoices(rootDir: string): Choices {
  const file = choicesPath(rootDir);
  if (!existsSync(file)) return {};
  try {
    const parsed = JSON.parse(readFileSync(file, "utf8"));
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    throw new ConfigError([`${file} is not valid JSON: fix it, or delete it to draw a new region and suffix`]);
  }
}

/**
 * The teardown deadline: fixed once and persisted, so later synths do not move it; a stale one (past,
 * for a lab that is not deployed) is replaced, so a lab synthesized long ago is not removed at once.
 */
function resolveDeadline(rootDir: string, expiresIn: string, persisted: string | undefined, now: number): { deadline?: string; changed: boolean } {
  if (expiresIn === "off") return { deadline: undefined, changed: false };
  const at = persisted ? Date.parse(persisted) : Number.NaN;
  if (Number.isFinite(at) && (at > now || labDeployed(rootDir))) return { deadline: isoSeconds(at), changed: false };
  return { deadline: isoSeconds(now + durationMs(expiresIn)), changed: true };
}

/** ISO 8601 UTC to the second ("2026-11-29T20:11:09Z"), the form tags and the workflow use. */
export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

function readConfigFile(rootDir: string, problems: string[]): Record<string, unknown> {
  const file = join(rootDir, CONFIG_FILE);
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    problems.push(`${CONFIG_FILE}: not valid JSON (${(e as Error).message}); fix the file or remove it`);
    return {};
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    problems.push(`${CONFIG_FILE}: must hold one JSON object of settings, e.g. {"region": "swedencentral"}`);
    return {};
  }
  return parsed as Record<string, unknown>;
}

const SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
function drawSuffix(): string {
  let s = "";
  for (let i = 0; i < 6; i++) s += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return s;
}

export function drawRegion(from: readonly LabRegion[] = LAB_REGIONS): LabRegion {
  return from[randomInt(from.length)];
}

/** Derive every resource name; `checkNames` holds each to its Azure rule. */
export function deriveNames(prefix: string, suffix: string): LabNames {
  const stem = `${prefix}-${suffix}`;
  return {
    resourceGroup: `rg-${stem}`,
    openaiAccount: `oai-${stem}`,
    openaiSubdomain: `oai-${stem}`,
    databricksWorkspace: `dbw-${stem}`,
    managedResourceGroup: `rg-${stem}-dbw-managed`,
    secretScope: `${prefix}-lab`,
    cluster: `${prefix}-single-node`,
    experiment: `${prefix}-qa-evaluation`,
    teardownGroup: `rg-${stem}-teardown`,
    teardownWorkflow: `la-${stem}-teardown`,
    volumeSchema: `${prefix}_lab`,
    volume: "files",
  };
}

const NAME_RULES: Record<keyof LabNames, { re: RegExp; rule: string }> = {
  resourceGroup: { re: /^[-\w.()]{1,89}[-\w()]$/, rule: "1-90 letters, digits, '-', '_', '.', '()'" },
  openaiAccount: { re: /^[a-zA-Z0-9][a-zA-Z0-9-]{0,62}[a-zA-Z0-9]$/, rule: "2-64 letters, digits or '-'" },
  openaiSubdomain: { re: /^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$/, rule: "2-63 lowercase letters, digits or '-' (a DNS label)" },
  databricksWorkspace: { re: /^[a-zA-Z0-9_-]{3,64}$/, rule: "3-64 letters, digits, '_' or '-'" },
  managedResourceGroup: { re: /^[-\w.()]{1,89}[-\w()]$/, rule: "1-90 letters, digits, '-', '_', '.', '()'" },
  secretScope: { re: /^[\w.@-]{1,128}$/, rule: "1-128 letters, digits, '_', '-', '.', '@'" },
  cluster: { re: /^.{1,100}$/, rule: "1-100 characters" },
  experiment: { re: /^[^/]{1,200}$/, rule: "1-200 characters without '/'" },
  teardownGroup: { re: /^[-\w.()]{1,89}[-\w()]$/, rule: "1-90 letters, digits, '-', '_', '.', '()'" },
  teardownWorkflow: { re: /^[-\w.()]{1,80}$/, rule: "1-80 letters, digits, '-', '_', '.', '()'" },
  volumeSchema: { re: /^\w{1,255}$/, rule: "letters, digits or '_'" },
  volume: { re: /^\w{1,255}$/, rule: "letters, digits or '_'" },
};

export function checkNames(names: LabNames): string[] {
  return (Object.keys(NAME_RULES) as (keyof LabNames)[])
    .filter((k) => !NAME_RULES[k].re.test(names[k]))
    .map((k) => `derived name ${k} "${names[k]}" breaks Azure's rule (${NAME_RULES[k].rule}): use a shorter prefix`);
}

/**
 * Preflight's persisted model choice, where it still answers the settings: always for the lab's
 * default request (it may be a successor), and for an explicit one only when it is that very model.
 */
function persistedModel(saved: unknown, settings: LabSettings, explicit: boolean): ModelChoice | undefined {
  const c = saved as Partial<ModelChoice> | undefined;
  if (!c || typeof c.name !== "string" || typeof c.version !== "string" || !DEPLOYMENT_TYPES.includes(c.deploymentType as DeploymentType)) return undefined;
  if (explicit && (c.name !== settings.model || c.version !== settings.modelVersion)) return undefined;
  if (settings.deploymentType !== "auto" && c.deploymentType !== settings.deploymentType) return undefined;
  return c as ModelChoice;
}

/**
 * Load, validate and resolve the lab's configuration. Throws one ConfigError listing every problem
 * (with the setting, its source and the allowed values) before anything is synthesized.
 */
export function loadConfig({ rootDir, env = process.env, now = Date.now() }: LoadOptions): LabConfig {
  const problems: string[] = [];
  const sourceOf: Record<string, string> = {};
  const merged: Record<string, unknown> = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS)) sourceOf[key] = "default";

  const fileSettings = readConfigFile(rootDir, problems);
  for (const [key, value] of Object.entries(fileSettings)) {
    merged[key] = value;
    sourceOf[key] = CONFIG_FILE;
  }
  for (const key of SETTING_KEYS) {
    const raw = env[envName(key)];
    if (raw === undefined || raw === "") continue;
    merged[key] = fromEnvString(key, raw);
    sourceOf[key] = envName(key);
  }

  const parsed = settingsSchema.safeParse(merged);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const key = String(issue.path[0] ?? "");
      if (issue.code === "unrecognized_keys") {
        const keys = (issue as { keys: string[] }).keys;
        problems.push(`${CONFIG_FILE}: unknown setting(s) ${keys.map((k) => `"${k}"`).join(", ")}; known: ${SETTING_KEYS.join(", ")}`);
        continue;
      }
      const where = issue.path.join(".");
      const shown = key in merged ? ` (got ${JSON.stringify(merged[key])} from ${sourceOf[key] ?? "?"})` : "";
      problems.push(`${where}: ${issue.message}${shown}; set "${key}" in ${CONFIG_FILE} or ${envName(key)}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const settings = parsed.data;

  const choices = readChoices(rootDir);
  const persistedRegion = LAB_REGIONS.find((r) => r === choices.region);
  const suffix = typeof choices.suffix === "string" && /^[a-z0-9]{6}$/.test(choices.suffix) ? choices.suffix : drawSuffix();
  const region = settings.region ?? persistedRegion ?? drawRegion();
  // A region is recorded only when drawn: an explicitly configured one stays the user's to change.
  const drawn: Choices = {};
  if (suffix !== choices.suffix) drawn.suffix = suffix;
  if (!settings.region && region !== choices.region) drawn.region = region;
  const { deadline, changed } = resolveDeadline(rootDir, settings.expiresIn, choices.deadline, now);
  if (changed) drawn.deadline = deadline;

  const names = deriveNames(settings.prefix, suffix);
  const nameProblems = checkNames(names);
  if (nameProblems.length > 0) throw new ConfigError(nameProblems);

  const explicit = sourceOf.model !== "default" || sourceOf.modelVersion !== "default";
  const model = persistedModel(choices.model, settings, explicit);
  const deploymentType = settings.deploymentType !== "auto" ? settings.deploymentType : (model?.deploymentType ?? "Standard");
  const modelName = model?.name ?? settings.model;

  return {
    ...settings,
    region,
    regionSource: settings.region ? "configured" : persistedRegion ? "persisted" : "drawn",
    model: modelName,
    modelVersion: model?.version ?? settings.modelVersion,
    deploymentType,
    deploymentTypeSetting: settings.deploymentType,
    requestedModel: { name: settings.model, version: settings.modelVersion, explicit },
    modelSource: model ? "persisted" : "settings",
    apiVersion: settings.apiVersion === "auto" ? defaultApiVersion(modelName) : settings.apiVersion,
    deploymentName: settings.deploymentName ?? modelName,
    suffix,
    workers: parseWorkers(settings.workers),
    volumeCatalog: settings.volumeCatalog || names.databricksWorkspace.replaceAll("-", "_"),
    names: parseWorkers(settings.workers).max > 0 ? { ...names, cluster: `${settings.prefix}-cluster` } : names,
    allTags: { ...settings.tags, lab: settings.prefix, ...(deadline ? { "expires-at": deadline } : {}) },
    deadline,
    drawn,
  };
}
