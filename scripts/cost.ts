// What the lab costs while it runs: list prices (USD, pay-as-you-go, East US 2, published by
// Microsoft in 2025; see the README), per hour of cluster time. Everything else is pay-per-use or free.
import type { LabConfig } from "../stacks/config.ts";

export const PRICES = {
  asOf: "2025 list prices, USD, pay-as-you-go, East US 2",
  /** Linux VM price per hour by node type. */
  vmPerHour: { Standard_D4ds_v5: 0.226, Standard_DS3_v2: 0.293, Standard_D4s_v5: 0.192 } as Record<string, number>,
  /** DBUs per hour by node type (Azure Databricks' instance table). */
  dbuPerHour: { Standard_D4ds_v5: 1.0, Standard_DS3_v2: 0.75, Standard_D4s_v5: 1.0 } as Record<string, number>,
  /** All-purpose compute, per DBU. The trial tier has no DBU charge for 14 days. */
  dbuPrice: { premium: 0.55, trial: 0 } as Record<string, number>,
};

export interface CostEstimate {
  clusterPerHour: number;
  known: boolean;
  breakdown: string;
}

export function hourlyCost(config: Pick<LabConfig, "nodeType" | "databricksSku">): CostEstimate {
  const vm = PRICES.vmPerHour[config.nodeType];
  const dbu = PRICES.dbuPerHour[config.nodeType];
  const price = PRICES.dbuPrice[config.databricksSku] ?? 0;
  if (vm === undefined || dbu === undefined) {
    return { clusterPerHour: Number.NaN, known: false, breakdown: `no list price recorded for ${config.nodeType}; see the Azure pricing calculator` };
  }
  const perHour = vm + dbu * price;
  return {
    clusterPerHour: perHour,
    known: true,
    breakdown: `${config.nodeType} VM $${vm.toFixed(3)}/h + ${dbu} DBU/h × $${price.toFixed(2)} (${config.databricksSku}) = $${perHour.toFixed(2)}/h while the cluster runs; OpenAI tokens per use (${PRICES.asOf})`,
  };
}

export const formatUsd = (v: number) => (Number.isFinite(v) ? `$${v.toFixed(2)}` : "unknown");
