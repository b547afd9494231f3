// Preflight: can this subscription hold the lab, and in which region and with which model? Saves the
// decision only when every check passes (also run by `up`).

import { table } from "../../eval/terminal.ts";
import type { LabConfig, ModelChoice } from "../../stacks/config.ts";
import { labDeployed } from "../../stacks/terraform-state.ts";
import type { Io } from "../commands/command.ts";
import { writeChoices } from "../lab-choices.ts";
import { type PreflightReport, runChecks } from "../preflight/checks.ts";
import { alternativesText, type ModelDecision, type ModelRef } from "../preflight/model-choice.ts";
import { chooseRegion } from "../preflight/region.ts";
import { azure } from "./context.ts";

const MARK = { pass: "ok", warn: "WARN", fail: "FAIL" } as const;

export interface PreflightOutcome {
  report: PreflightReport;
  region?: string;
  moved?: boolean;
  /** The model the lab deploys (persisted with the region), and the line saying it was substituted. */
  model?: ModelChoice;
  substituted?: string;
  error?: string;
  fix?: string;
}

const label = (m: { name: string; version: string }) => `${m.name} ${m.version}`;

/** Why preflight cannot pick a model, and the exact settings that would work (deployable ones only). */
function modelFailure(config: LabConfig, d: ModelDecision): { error: string; fix: string } {
  const asked = label(d.requested);
  const alternatives = alternativesText(d);
  return {
    error: `${asked} cannot be deployed in any lab region: ${d.why}`,
    fix: alternatives
      ? `${config.requestedModel.explicit ? "choose a model Azure deploys today" : "choose one of these"}: ${alternatives}`
      : `no chat model is deployable${config.deploymentTypeSetting === "auto" ? "" : ` as ${config.deploymentTypeSetting}`} with ${config.capacity}K TPM of quota in the lab regions: ` +
        `${config.deploymentTypeSetting === "auto" ? "" : "set LAB_DEPLOYMENT_TYPE=auto, "}lower LAB_CAPACITY, or request quota at https://aka.ms/oai/quotaincrease`,
  };
}

/**
 * Run the checks, decide model and region, and persist them together — only when every check passed:
 * a failed preflight writes nothing.
 */
export async function preflight(io: Io, config: LabConfig, fix: boolean): Promise<PreflightOutcome> {
  const { subscriptionId, facts } = azure(io);
  const deployed = labDeployed(io.cwd);
  const report = await runChecks(facts, subscriptionId, config, { fix, deployed: deployed ? { name: config.model, version: config.modelVersion } : undefined });
  const decision = report.model;
  if (decision && !decision.chosen) return { report, ...modelFailure(config, decision) };
  if (!report.ok) {
    if (report.results.some((r) => !r.region && r.status === "fail")) {
      return { report, error: "a subscription-wide check failed", fix: "fix the failed checks above" };
    }
    return { report, error: "no lab region passes preflight", fix: "fix the failed checks above" };
  }
  const choice = chooseRegion(config, report.passingRegions, deployed);
  if ("error" in choice) return { report, error: choice.error, fix: choice.fix };
  const chosen = decision?.chosen as NonNullable<ModelDecision["chosen"]>;
  const model: ModelChoice = { name: chosen.name, version: chosen.version, deploymentType: report.deploymentTypes[choice.region] ?? config.deploymentType };
  writeChoices(io.cwd, { suffix: config.suffix, model, ...(config.regionSource === "configured" ? {} : { region: choice.region }) });
  const substituted =
    chosen.source === "requested" || chosen.source === "deployed"
      ? undefined
      : `${label(decision?.requested as ModelRef)} cannot be deployed (${decision?.why}); deploying ${label(model)} (${model.deploymentType}) instead — ` +
        "choose another with LAB_MODEL and LAB_MODEL_VERSION";
  return { report, region: choice.region, moved: choice.moved, model, substituted };
}

/** The checks as a table (what `up` shows when preflight stops it). */
export function renderChecks(report: PreflightReport): string {
  const rows = report.results.map((r) => [
    MARK[r.status],
    r.check,
    r.region ?? "",
    r.status === "pass" ? r.detail : `${r.detail}${r.fix ? ` — fix: ${r.fix}` : ""}`,
  ]);
  return [`subscription ${report.subscriptionId}`, table(["", "check", "region", "detail"], rows)].join("\n");
}

/** The table and the verdict: the region chosen, or what failed and the fix. */
export function renderPreflight(o: PreflightOutcome): string {
  const lines = [renderChecks(o.report), ""];
  if (o.substituted) lines.push(`model: ${o.substituted}`);
  if (o.model) lines.push(`model: ${label(o.model)} (${o.model.deploymentType}), saved`);
  if (o.region) lines.push(`region: ${o.region}${o.moved ? " (drawn among the passing regions and saved)" : ""}`);
  if (o.error) lines.push(`error: ${o.error}`, `fix: ${o.fix}`);
  return lines.join("\n");
}
