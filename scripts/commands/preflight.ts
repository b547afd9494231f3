// `evallab preflight`: can this subscription hold the lab, and in which region? (also run by `up`).
import { type LabConfig, labDeployed } from "../../stacks/config.ts";
import { ArmError } from "../azure/arm-client.ts";
import { AzureAuthError } from "../azure/credentials.ts";
import { MARK, table } from "../format.ts";
import { type PreflightReport, runChecks } from "../preflight/checks.ts";
import { chooseRegion } from "../preflight/region.ts";
import { type Command, EXIT, type Io, UsageError, parseCommand } from "./command.ts";
import { LabSetupError, azure, labConfig } from "./lab-context.ts";

const HELP = `usage: evallab preflight [--fix] [--json]

Checks, through Azure Resource Manager, that the lab can be deployed: you are signed in and the
subscription is enabled; Microsoft.CognitiveServices and Microsoft.Databricks are registered; in each
lab region the model and version are offered (Standard, not retired), OpenAI quota covers the capacity
and vCPU quota covers the cluster; no soft-deleted OpenAI account holds the lab's name. Then picks the
region (the configured one if it passes, else one drawn among the passing regions, persisted).

  --fix    register missing providers and purge a soft-deleted account holding the name
  --json   machine-readable report
exit: 0 ready · 1 a check failed · 2 bad usage or not signed in`;

export interface PreflightOutcome {
  report: PreflightReport;
  region?: string;
  moved?: boolean;
  error?: string;
  fix?: string;
}

export async function preflight(io: Io, config: LabConfig, fix: boolean): Promise<PreflightOutcome> {
  const { subscriptionId, facts } = azure(io);
  const report = await runChecks(facts, subscriptionId, config, { fix });
  if (!report.ok) {
    const nowhere = report.results.filter((r) => r.check === "model").every((r) => r.status === "fail");
    if (nowhere && report.results.some((r) => r.check === "model")) {
      const s = report.successors;
      return {
        report,
        error: `${config.model} ${config.modelVersion} cannot be deployed in any lab region`,
        fix: s.length
          ? `use a successor the API reports: ${s.map((x) => `LAB_MODEL=${x.model} LAB_MODEL_VERSION=${x.version} (in ${x.regions.join(", ")})`).join("; or ")}`
          : "choose a current model, e.g. LAB_MODEL=gpt-4o-mini LAB_MODEL_VERSION=2024-07-18",
      };
    }
    if (report.results.some((r) => !r.region && r.status === "fail")) {
      return { report, error: "a subscription-wide check failed", fix: "fix the failed checks above" };
    }
    if (report.passingRegions.length === 0) return { report, error: "no lab region passes preflight", fix: "fix the failed checks above" };
  }
  const choice = chooseRegion(config, report.passingRegions, io.cwd, labDeployed(io.cwd));
  if ("error" in choice) return { report, error: choice.error, fix: choice.fix };
  return { report, region: choice.region, moved: choice.moved };
}

/** The checks as a table (what `up` shows when preflight stops it). */
export function renderChecks(report: PreflightReport): string {
  const rows = report.results.map((r) => [MARK[r.status], r.check, r.region ?? "", r.status === "pass" ? r.detail : `${r.detail}${r.fix ? ` — fix: ${r.fix}` : ""}`]);
  return [`subscription ${report.subscriptionId}`, table(["", "check", "region", "detail"], rows)].join("\n");
}

/** The table and the verdict: the region chosen, or what failed and the fix. */
export function renderPreflight(o: PreflightOutcome): string {
  const lines = [renderChecks(o.report), ""];
  if (o.region) lines.push(`region: ${o.region}${o.moved ? " (drawn among the passing regions and saved)" : ""}`);
  if (o.error) lines.push(`error: ${o.error}`, `fix: ${o.fix}`);
  return lines.join("\n");
}

export const preflightCommand: Command = {
  async run(argv, io) {
    try {
      const parsed = parseCommand("preflight", argv, { fix: { type: "boolean" }, json: { type: "boolean" } }, io, HELP);
      if (!parsed) return EXIT.ok;
      const { values } = parsed;
      const outcome = await preflight(io, labConfig(io), Boolean(values.fix));
      io.out(values.json ? JSON.stringify({ ...outcome.report, region: outcome.region ?? null, error: outcome.error ?? null, fix: outcome.fix ?? null }, null, 2) : renderPreflight(outcome));
      return outcome.error ? EXIT.remains : EXIT.ok;
    } catch (e) {
      if (e instanceof UsageError || e instanceof LabSetupError || e instanceof AzureAuthError || e instanceof ArmError) {
        io.err(`error: ${e.message}`);
        return EXIT.usage;
      }
      throw e;
    }
  },
};
