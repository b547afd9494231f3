// Preflight: can this subscription hold the lab, and where? Each check is pass / warn / fail with the fix.
import type { LabConfig, LabRegion } from "../../stacks/config.ts";
import { LAB_REGIONS } from "../../stacks/config.ts";
import { ArmError } from "../azure/arm-client.ts";
import { AzureAuthError } from "../azure/credentials.ts";
import type { AccountModel, AzureFacts } from "./azure-facts.ts";

export type Status = "pass" | "warn" | "fail";

export interface CheckResult {
  check: string;
  region?: string;
  status: Status;
  detail: string;
  fix?: string;
}

export const PROVIDERS = ["Microsoft.CognitiveServices", "Microsoft.Databricks"] as const;

const day = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);

/** Is this model version deployable as Standard today? Returns a reason when not. */
export function deployability(entry: AccountModel, today: number): { ok: boolean; reason?: string; usageName?: string } {
  const m = entry.model;
  const sku = m.skus?.find((s) => s.name === "Standard");
  if (!sku) return { ok: false, reason: "not offered with the Standard SKU" };
  if (m.lifecycleStatus === "Deprecated" || m.lifecycleStatus === "Deprecating" || m.lifecycleStatus === "Retired") {
    return { ok: false, reason: `lifecycle ${m.lifecycleStatus}` };
  }
  if (day(m.deprecation?.inference) <= today) return { ok: false, reason: `retired for inference on ${m.deprecation?.inference?.slice(0, 10)}` };
  if (day(sku.deprecationDate) <= today) return { ok: false, reason: `Standard SKU deprecated on ${sku.deprecationDate?.slice(0, 10)}` };
  return { ok: true, usageName: sku.usageName };
}

export interface RegionVerdict {
  region: LabRegion;
  results: CheckResult[];
  passes: boolean;
  models: AccountModel[];
}

/** The model, its quota and the cluster's vCPUs in one region. */
export async function checkRegion(facts: AzureFacts, config: LabConfig, region: LabRegion, today: number): Promise<RegionVerdict> {
  const results: CheckResult[] = [];
  const [models, usages, skus, computeUsages] = await Promise.all([
    facts.models(region),
    facts.openAiUsages(region),
    facts.computeSkus(region),
    facts.computeUsages(region),
  ]);
  const label = `${config.model} ${config.modelVersion}`;
  const entry = models.find((e) => e.model.name === config.model && e.model.version === config.modelVersion);
  const verdict = entry ? deployability(entry, today) : { ok: false, reason: "not offered in this region" };
  results.push({
    check: "model",
    region,
    status: verdict.ok ? "pass" : "fail",
    detail: verdict.ok ? `${label} (Standard) can be deployed` : `${label}: ${verdict.reason}`,
    fix: verdict.ok ? undefined : "choose another model (LAB_MODEL, LAB_MODEL_VERSION) or region (LAB_REGION)",
  });
  if (verdict.ok) {
    const usageName = verdict.usageName ?? `OpenAI.Standard.${config.model}`;
    const u = usages.find((x) => x.name.value === usageName);
    const free = u ? u.limit - u.currentValue : 0;
    results.push({
      check: "openai-quota",
      region,
      status: free >= config.capacity ? "pass" : "fail",
      detail: `${usageName}: ${free}K TPM free of ${u?.limit ?? 0}K, lab needs ${config.capacity}K`,
      fix: free >= config.capacity ? undefined : `lower LAB_CAPACITY to ${Math.max(1, free)} or below, free quota, or request more at https://aka.ms/oai/quotaincrease`,
    });
  }
  const vm = skus.find((s) => s.resourceType === "virtualMachines" && s.name === config.nodeType);
  const restricted = vm?.restrictions?.find((r) => r.type === "Location");
  if (!vm || restricted) {
    results.push({
      check: "vcpu-quota",
      region,
      status: "fail",
      detail: `${config.nodeType} is ${vm ? `restricted (${restricted?.reasonCode})` : "not offered"} here`,
      fix: "choose another LAB_NODE_TYPE or region",
    });
  } else {
    const vcpus = Number(vm.capabilities?.find((c) => c.name === "vCPUs")?.value ?? 0);
    const freeOf = (name: string) => {
      const u = computeUsages.find((x) => x.name.value.toLowerCase() === name.toLowerCase());
      return u ? u.limit - u.currentValue : 0;
    };
    const family = vm.family ?? "";
    const freeFamily = freeOf(family);
    const freeTotal = freeOf("cores");
    const ok = freeFamily >= vcpus && freeTotal >= vcpus;
    results.push({
      check: "vcpu-quota",
      region,
      status: ok ? "pass" : "fail",
      detail: `${config.nodeType} needs ${vcpus} vCPUs: ${freeFamily} free in ${family}, ${freeTotal} free in total`,
      fix: ok ? undefined : `request vCPU quota for ${family} in ${region} (Azure portal > Quotas), or choose another region`,
    });
  }
  return { region, results, passes: results.every((r) => r.status !== "fail"), models };
}

/** Deployable successors the models API names (replacementConfig) for the configured model. */
export function successors(verdicts: RegionVerdict[], model: string, today: number): { model: string; version: string; regions: string[] }[] {
  const found = new Map<string, { model: string; version: string; regions: string[] }>();
  for (const v of verdicts) {
    for (const e of v.models.filter((x) => x.model.name === model)) {
      const target = e.model.replacementConfig;
      if (!target?.targetModelName) continue;
      const candidate = v.models.find(
        (x) => x.model.name === target.targetModelName && (!target.targetModelVersion || x.model.version === target.targetModelVersion),
      );
      if (!candidate || !deployability(candidate, today).ok) continue;
      const key = `${candidate.model.name}@${candidate.model.version}`;
      const entry = found.get(key) ?? { model: candidate.model.name, version: candidate.model.version, regions: [] };
      if (!entry.regions.includes(v.region)) entry.regions.push(v.region);
      found.set(key, entry);
    }
  }
  return [...found.values()];
}

export interface PreflightOptions {
  fix: boolean;
  today?: number;
}

export interface PreflightReport {
  subscriptionId: string;
  results: CheckResult[];
  passingRegions: LabRegion[];
  successors: { model: string; version: string; regions: string[] }[];
  ok: boolean;
}

export async function runChecks(facts: AzureFacts, subscriptionId: string, config: LabConfig, opts: PreflightOptions): Promise<PreflightReport> {
  const today = opts.today ?? Date.now();
  const results: CheckResult[] = [];
  const report = (): PreflightReport => ({ subscriptionId, results, passingRegions: [], successors: [], ok: false });

  try {
    const s = await facts.subscription();
    results.push({
      check: "subscription",
      status: s.state === "Enabled" ? "pass" : "fail",
      detail: `${s.displayName ?? s.subscriptionId} is ${s.state}`,
      fix: s.state === "Enabled" ? undefined : "use an enabled subscription (ARM_SUBSCRIPTION_ID or `az account set`)",
    });
  } catch (e) {
    const signedOut = e instanceof AzureAuthError || (e instanceof ArmError && (e.status === 401 || e.status === 403));
    results.push({
      check: "subscription",
      status: "fail",
      detail: (e as Error).message,
      fix: signedOut ? "sign in with `az login` (or set a service principal's ARM_* variables)" : "check ARM_SUBSCRIPTION_ID",
    });
    return report();
  }
  if (results[0].status === "fail") return report();

  for (const ns of PROVIDERS) {
    let state = (await facts.provider(ns)).registrationState;
    if (state !== "Registered" && state !== "Registering" && opts.fix) {
      await facts.registerProvider(ns);
      state = (await facts.provider(ns)).registrationState;
    }
    results.push({
      check: "provider",
      status: state === "Registered" ? "pass" : state === "Registering" ? "warn" : "fail",
      detail: `${ns} is ${state}`,
      fix: state === "Registered" ? undefined : state === "Registering" ? "registration is under way; it takes a few minutes" : "run `evallab preflight --fix` to register it",
    });
  }

  const verdicts = await Promise.all(LAB_REGIONS.map((r) => checkRegion(facts, config, r, today)));
  for (const v of verdicts) results.push(...v.results);

  const deleted = (await facts.deletedAccounts()).filter((a) => a.name === config.names.openaiAccount);
  if (deleted.length === 0) {
    results.push({ check: "soft-deleted", status: "pass", detail: `no soft-deleted account holds ${config.names.openaiAccount}` });
  } else if (opts.fix) {
    for (const a of deleted) await facts.purgeDeleted(a);
    results.push({ check: "soft-deleted", status: "pass", detail: `purged soft-deleted ${config.names.openaiAccount} (${deleted[0].location})` });
  } else {
    results.push({
      check: "soft-deleted",
      status: "fail",
      detail: `a soft-deleted account holds ${config.names.openaiAccount} in ${deleted[0].location} (its name and quota stay taken for 48 h)`,
      fix: "run `evallab preflight --fix` to purge it",
    });
  }

  const passingRegions = verdicts.filter((v) => v.passes).map((v) => v.region);
  const modelNowhere = verdicts.every((v) => v.results.some((r) => r.check === "model" && r.status === "fail"));
  const global = results.filter((r) => !r.region);
  return {
    subscriptionId,
    results,
    passingRegions,
    successors: modelNowhere ? successors(verdicts, config.model, today) : [],
    ok: passingRegions.length > 0 && global.every((r) => r.status !== "fail"),
  };
}
