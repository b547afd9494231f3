// What the lab costs while it runs: list prices (USD, pay-as-you-go, East US 2, published by
// Microsoft in 2025; see the README), per hour of cluster time. Everything else is pay-per-use or free.
import type { LabConfig } from "../stacks/config.ts";

export const PRICES = {
  asOf: "2025–2026 list prices, USD, pay-as-you-go, East US 2",
  /** Linux VM price per hour by node type. */
  vmPerHour: { Standard_D4ds_v5: 0.226, Standard_DS3_v2: 0.293, Standard_D4s_v5: 0.192 } as Record<string, number>,
  /** DBUs per hour by node type (Azure Databricks' instance table). */
  dbuPerHour: { Standard_D4ds_v5: 1.0, Standard_DS3_v2: 0.75, Standard_D4s_v5: 1.0 } as Record<string, number>,
  /** All-purpose compute, per DBU. The trial tier has no DBU charge for 14 days. */
  dbuPrice: { premium: 0.55, trial: 0 } as Record<string, number>,
  /**
   * Azure OpenAI tokens, USD per 1M: input, output, and the deployment type Microsoft published them for
   * (gpt-35-turbo was only ever regional Standard; current models are priced as Global Standard).
   */
  tokensPer1M: {
    "gpt-35-turbo": [0.5, 1.5, "Standard"],
    "gpt-4o-mini": [0.15, 0.6, "GlobalStandard"],
    "gpt-4.1-mini": [0.4, 1.6, "GlobalStandard"],
    "gpt-4.1-nano": [0.1, 0.4, "GlobalStandard"],
    "gpt-5-mini": [0.25, 2.0, "GlobalStandard"],
    "gpt-5-nano": [0.05, 0.4, "GlobalStandard"],
  } as Record<string, [number, number, string]>,
};

/** The deployed model's token prices, or a pointer to the calculator when none is recorded. */
export function tokenPrices(model: string, deploymentType: string): { input: number; output: number; text: string } | { text: string } {
  const listed = PRICES.tokensPer1M[model];
  if (!listed) return { text: `${model} (${deploymentType}) tokens per use: no list price recorded, see the Azure pricing calculator` };
  const [baseIn, baseOut, publishedFor] = listed;
  // Data Zone and regional Standard list about 10% above Global Standard (Azure OpenAI pricing page).
  const approx = publishedFor === "GlobalStandard" && deploymentType !== publishedFor;
  const f = approx ? 1.1 : 1;
  const [input, output] = [baseIn * f, baseOut * f];
  return {
    input,
    output,
    text: `${model} (${deploymentType}) tokens per use: $${input.toFixed(2)}/1M in, $${output.toFixed(2)}/1M out${approx ? " (≈ Global +10%)" : ""}`,
  };
}

/** What a run's tokens cost at list price, e.g. "≈ $0.0042 at gpt-5-mini (GlobalStandard) list prices"; undefined when no price is recorded. */
export function tokenCost(model: string, deploymentType: string, tokens: { prompt: number; completion: number }): string | undefined {
  const p = tokenPrices(model, deploymentType);
  if (!("input" in p)) return undefined;
  const usd = (tokens.prompt * p.input + tokens.completion * p.output) / 1e6;
  return `≈ $${usd < 0.01 ? usd.toFixed(4) : usd.toFixed(2)} at ${model} (${deploymentType}) list prices`;
}

export interface CostEstimate {
  clusterPerHour: number;
  known: boolean;
  breakdown: string;
}

/** Nodes the cluster runs at most: the driver and its workers. */
export function clusterNodes(config: Pick<LabConfig, "workers">): number {
  return 1 + config.workers.max;
}

export function hourlyCost(config: Pick<LabConfig, "nodeType" | "databricksSku" | "model" | "deploymentType" | "workers">): CostEstimate {
  const vm = PRICES.vmPerHour[config.nodeType];
  const dbu = PRICES.dbuPerHour[config.nodeType];
  const price = PRICES.dbuPrice[config.databricksSku] ?? 0;
  const tokens = tokenPrices(config.model, config.deploymentType).text;
  if (vm === undefined || dbu === undefined) {
    return {
      clusterPerHour: Number.NaN,
      known: false,
      breakdown: `no list price recorded for ${config.nodeType}, see the Azure pricing calculator; ${tokens}`,
    };
  }
  const nodes = clusterNodes(config);
  const perNode = vm + dbu * price;
  const perHour = nodes * perNode;
  const { min, max } = config.workers;
  const size =
    max === 0 ? "" : min === max ? `${nodes} nodes (driver + ${max} workers) × ` : `up to ${nodes} nodes (driver + ${min}-${max} autoscaling workers) × `;
  return {
    clusterPerHour: perHour,
    known: true,
    breakdown: `${size}${config.nodeType} VM $${vm.toFixed(3)}/h + ${dbu} DBU/h × $${price.toFixed(2)} (${config.databricksSku}) = $${perHour.toFixed(2)}/h while the cluster runs; ${tokens} (${PRICES.asOf})`,
  };
}

export const formatUsd = (v: number) => (Number.isFinite(v) ? `$${v.toFixed(2)}` : "unknown");
