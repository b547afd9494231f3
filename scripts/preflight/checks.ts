// Preflight: can this subscription hold the lab, and where? Each check is pass / warn / fail with the fix.
import type { DeploymentType, LabConfig, LabRegion } from "../../stacks/config.ts";
import { LAB_REGIONS } from "../../stacks/config.ts";
import { AzureAuthError } from "../azure/credentials.ts";
import { clusterNodes } from "../cost.ts";
import { ServiceError } from "../http/transport.ts";
import type { AzureFacts, ComputeSku, Usage } from "./azure-facts.ts";
import { type ModelDecision, type ModelRef, type Offer, offerIn, type RegionCatalog, type RegionOffer, resolveModel } from "./model-choice.ts";

export type Status = "pass" | "warn" | "fail";

export interface CheckResult {
  check: string;
  region?: string;
  status: Status;
  detail: string;
  fix?: string;
}

export const PROVIDERS = ["Microsoft.CognitiveServices", "Microsoft.Databricks"] as const;

export interface RegionFacts extends RegionCatalog {
  region: LabRegion;
  /** The cluster's vCPU check for this region. */
  vcpu: CheckResult;
}

/** The cluster's node type in one region: offered, not restricted, vCPU quota for its family and in total. */
function vcpuCheck(config: LabConfig, region: LabRegion, skus: ComputeSku[], computeUsages: Usage[]): CheckResult {
  const vm = skus.find((s) => s.resourceType === "virtualMachines" && s.name === config.nodeType);
  const restricted = vm?.restrictions?.find((r) => r.type === "Location");
  if (!vm || restricted) {
    return {
      check: "vcpu-quota",
      region,
      status: "fail",
      detail: `${config.nodeType} is ${vm ? `restricted (${restricted?.reasonCode})` : "not offered"} here`,
      fix: "choose another LAB_NODE_TYPE or region",
    };
  }
  // The driver and every worker (the most an autoscaling cluster may reach) run on this size.
  const nodes = clusterNodes(config);
  const vcpus = nodes * Number(vm.capabilities?.find((c) => c.name === "vCPUs")?.value ?? 0);
  const freeOf = (name: string) => {
    const u = computeUsages.find((x) => x.name.value.toLowerCase() === name.toLowerCase());
    return u ? u.limit - u.currentValue : 0;
  };
  const family = vm.family ?? "";
  const freeFamily = freeOf(family);
  const freeTotal = freeOf("cores");
  const ok = freeFamily >= vcpus && freeTotal >= vcpus;
  return {
    check: "vcpu-quota",
    region,
    status: ok ? "pass" : "fail",
    detail: `${nodes > 1 ? `${nodes} × ` : ""}${config.nodeType} needs ${vcpus} vCPUs: ${freeFamily} free in ${family}, ${freeTotal} free in total`,
    fix: ok
      ? undefined
      : `request vCPU quota for ${family} in ${region} (Azure portal > Quotas), choose another region${nodes > 1 ? ", or fewer LAB_WORKERS" : ""}`,
  };
}

/** What ARM says about one region: its model catalog (all pages), OpenAI usages, and the cluster's vCPUs. */
export async function regionFacts(facts: AzureFacts, config: LabConfig, region: LabRegion): Promise<RegionFacts> {
  const [models, usages, skus, computeUsages] = await Promise.all([
    facts.models(region),
    facts.openAiUsages(region),
    facts.computeSkus(region),
    facts.computeUsages(region),
  ]);
  return { region, models, usages, vcpu: vcpuCheck(config, region, skus, computeUsages) };
}

/** The chosen (or, failing that, the requested) model in one region: deployable, and its quota. */
function modelChecks(f: RegionFacts, o: RegionOffer, ref: ModelRef, config: LabConfig): CheckResult[] {
  const label = `${ref.name} ${ref.version}`;
  if (!o.deployable) {
    return [
      {
        check: "model",
        region: f.region,
        status: "fail",
        detail: `${label}: ${o.reason}`,
        fix: "choose another model (LAB_MODEL, LAB_MODEL_VERSION) or region (LAB_REGION)",
      },
    ];
  }
  const q = (o.pick ?? o.short) as Offer;
  return [
    { check: "model", region: f.region, status: "pass", detail: `${label} (${q.type}) can be deployed` },
    {
      check: "openai-quota",
      region: f.region,
      status: o.pick ? "pass" : "fail",
      detail: `${q.usageName}: ${q.free}K TPM free of ${q.limit}K, lab needs ${config.capacity}K`,
      fix: o.pick ? undefined : `lower LAB_CAPACITY to ${Math.max(1, q.free)} or below, free quota, or request more at https://aka.ms/oai/quotaincrease`,
    },
  ];
}

export interface PreflightOptions {
  fix: boolean;
  today?: number;
  /** The model a deployed lab runs: kept, never substituted. */
  deployed?: ModelRef;
}

export interface PreflightReport {
  subscriptionId: string;
  results: CheckResult[];
  passingRegions: LabRegion[];
  /** The model decision; absent when the checks stopped before the catalog was read. */
  model?: ModelDecision;
  /** The deployment type per passing region, for the chosen model. */
  deploymentTypes: Partial<Record<LabRegion, DeploymentType>>;
  ok: boolean;
}

export async function runChecks(facts: AzureFacts, subscriptionId: string, config: LabConfig, opts: PreflightOptions): Promise<PreflightReport> {
  const today = opts.today ?? Date.now();
  const results: CheckResult[] = [];
  const report = (): PreflightReport => ({ subscriptionId, results, passingRegions: [], deploymentTypes: {}, ok: false });

  try {
    const s = await facts.subscription();
    results.push({
      check: "subscription",
      status: s.state === "Enabled" ? "pass" : "fail",
      detail: `${s.displayName ?? s.subscriptionId} is ${s.state}`,
      fix: s.state === "Enabled" ? undefined : "use an enabled subscription (ARM_SUBSCRIPTION_ID or `az account set`)",
    });
  } catch (e) {
    const signedOut = e instanceof AzureAuthError || (e instanceof ServiceError && e.exitCode === 2);
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
      fix:
        state === "Registered"
          ? undefined
          : state === "Registering"
            ? "registration is under way; it takes a few minutes"
            : "run `evallab preflight --fix` to register it",
    });
  }

  const regions = await Promise.all(LAB_REGIONS.map((r) => regionFacts(facts, config, r)));
  const vcpuOk = new Set<string>(regions.filter((f) => f.vcpu.status === "pass").map((f) => f.region));
  const decision = resolveModel(
    regions,
    {
      ref: { name: config.requestedModel.name, version: config.requestedModel.version },
      explicit: config.requestedModel.explicit,
      fallbackModels: config.fallbackModels,
      deploymentType: config.deploymentTypeSetting,
      capacity: config.capacity,
      deployed: opts.deployed,
    },
    today,
    (r) => vcpuOk.has(r),
  );
  const shown = decision.chosen ?? decision.closest ?? decision.requested;
  const deploymentTypes: PreflightReport["deploymentTypes"] = {};
  const passingRegions: LabRegion[] = [];
  for (const f of regions) {
    const offer = offerIn(f, shown, config.deploymentTypeSetting, config.capacity, today);
    const rows = [...modelChecks(f, offer, shown, config), f.vcpu];
    results.push(...rows);
    const pick = offer.pick;
    if (rows.every((r) => r.status !== "fail") && pick) {
      passingRegions.push(f.region);
      deploymentTypes[f.region] = pick.type;
    }
  }

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

  const global = results.filter((r) => !r.region);
  return {
    subscriptionId,
    results,
    passingRegions: decision.chosen ? passingRegions : [],
    model: decision,
    deploymentTypes,
    ok: decision.chosen !== undefined && passingRegions.length > 0 && global.every((r) => r.status !== "fail"),
  };
}
