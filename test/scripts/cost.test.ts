import { describe, expect, it } from "vitest";
import { hourlyCost, tokenPrices } from "../../scripts/cost.ts";

describe("cost estimate", () => {
  it("prices the deployed model's tokens for its deployment type", () => {
    expect(tokenPrices("gpt-5-mini", "GlobalStandard")).toMatchObject({ input: 0.25, output: 2 });
    // Data Zone lists about 10% above Global: shown as an approximation.
    const dz = tokenPrices("gpt-5-mini", "DataZoneStandard");
    expect(dz).toMatchObject({ input: expect.closeTo(0.275, 9), output: expect.closeTo(2.2, 9) });
    expect(dz.text).toContain("(≈ Global +10%)");
    expect(tokenPrices("gpt-35-turbo", "Standard").text).toBe("gpt-35-turbo (Standard) tokens per use: $0.50/1M in, $1.50/1M out");
    expect(tokenPrices("gpt-5.4-mini", "GlobalStandard")).toEqual({
      text: "gpt-5.4-mini (GlobalStandard) tokens per use: no list price recorded, see the Azure pricing calculator",
    });
  });

  it("says the model's prices beside the cluster's hourly cost", () => {
    const c = hourlyCost({
      nodeType: "Standard_D4ds_v5",
      databricksSku: "premium",
      model: "gpt-5-mini",
      deploymentType: "GlobalStandard",
      workers: { min: 0, max: 0 },
    });
    expect(c.clusterPerHour).toBeCloseTo(0.776, 3);
    expect(c.breakdown).toContain("gpt-5-mini (GlobalStandard) tokens per use: $0.25/1M in, $2.00/1M out");
  });

  it.each([
    [{ min: 4, max: 4 }, 5, "5 nodes (driver + 4 workers) × Standard_D4ds_v5"],
    [{ min: 2, max: 8 }, 9, "up to 9 nodes (driver + 2-8 autoscaling workers) × Standard_D4ds_v5"],
  ])("counts the driver and every worker (%j)", (workers, nodes, text) => {
    const one = hourlyCost({
      nodeType: "Standard_D4ds_v5",
      databricksSku: "premium",
      model: "gpt-5-mini",
      deploymentType: "GlobalStandard",
      workers: { min: 0, max: 0 },
    });
    const c = hourlyCost({ nodeType: "Standard_D4ds_v5", databricksSku: "premium", model: "gpt-5-mini", deploymentType: "GlobalStandard", workers });
    expect(c.clusterPerHour).toBeCloseTo(nodes * one.clusterPerHour, 9);
    expect(c.breakdown.startsWith(text)).toBe(true);
  });
});
