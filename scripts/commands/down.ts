// `evallab down`: destroy lab-databricks, then lab, then prove through ARM that nothing is left —
// the resource group, the workspace's managed group, and any soft-deleted OpenAI account (purged).
import { existsSync, renameSync } from "node:fs";
import { DATABRICKS_STACK, LAB_STACK, TEARDOWN_STACK } from "../../stacks/stack-names.ts";
import { choicesPath, clearChoices, type LabConfig, statePath } from "../../stacks/config.ts";
import { runCdktf } from "../cdktf-runner.ts";
import { translateDeployError } from "../deploy-errors.ts";
import { logPath } from "../lab-state.ts";
import type { AzureFacts } from "../preflight/azure-facts.ts";
import { StepReporter } from "../step-reporter.ts";
import { type Command, EXIT, type Io, parseCommand } from "./command.ts";
import { azure, labConfig, terraformEnv } from "./lab-context.ts";
import { UpFailed, reportLifecycleError } from "./up.ts";

const HELP = `usage: evallab down [--json]

Removes the lab: \`cdktf destroy\` of lab-teardown (if present), lab-databricks, then lab, then
verifies through Azure Resource Manager that the resource group and the workspace's managed resource
group are gone and that no soft-deleted OpenAI account of the lab remains (it purges one if found, so
the name and quota are free at once). Running it twice is harmless.
exit: 0 nothing left · 1 something remains (named, with the command that removes it)`;

export interface Remaining {
  what: string;
  command: string;
}

export interface DownReport {
  removed: string[];
  remaining: Remaining[];
}

/** What ARM still shows of the lab, purging a soft-deleted account on the way. */
export async function verifyGone(facts: AzureFacts, config: LabConfig, sub: string, teardown = false): Promise<DownReport> {
  const removed: string[] = [];
  const remaining: Remaining[] = [];
  const groups: [string, string][] = [
    ["resource group", config.names.resourceGroup],
    ["managed resource group", config.names.managedResourceGroup],
    ...(teardown ? ([["teardown resource group", config.names.teardownGroup]] as [string, string][]) : []),
  ];
  for (const [label, name] of groups) {
    if (await facts.resourceGroup(name)) {
      remaining.push({ what: `${label} ${name}`, command: `az group delete --name ${name} --subscription ${sub} --yes` });
    } else removed.push(`${label} ${name}`);
  }
  const deleted = (await facts.deletedAccounts()).filter((a) => a.name === config.names.openaiAccount);
  for (const a of deleted) {
    try {
      await facts.purgeDeleted(a);
      removed.push(`soft-deleted OpenAI account ${a.name} (purged)`);
    } catch (e) {
      remaining.push({
        what: `soft-deleted OpenAI account ${a.name} (${(e as Error).message})`,
        command: `az cognitiveservices account purge --name ${a.name} --location ${a.location} --resource-group ${config.names.resourceGroup}`,
      });
    }
  }
  if (deleted.length === 0) removed.push(`no soft-deleted OpenAI account named ${config.names.openaiAccount}`);
  return { removed, remaining };
}

export async function labDown(io: Io): Promise<DownReport> {
  if (!existsSync(choicesPath(io.cwd))) {
    return { removed: ["nothing: no lab was set up from this folder (.evallab/choices.json is missing)"], remaining: [] };
  }
  const config = labConfig(io, false);
  const { facts, subscriptionId: sub } = azure(io);
  const env = terraformEnv(io);
  const logFile = logPath(io.cwd, "down");
  const ui = new StepReporter(io.isTTY, io.err);

  // The teardown first (so it cannot fire mid-way), then dependants before the lab itself.
  const hasTeardown = Boolean(config.deadline) || existsSync(statePath(io.cwd, TEARDOWN_STACK));
  for (const stack of [...(hasTeardown ? [TEARDOWN_STACK] : []), DATABRICKS_STACK, LAB_STACK]) {
    io.err(`destroying ${stack}…`);
    // One stack at a time, dependants first: the order is ours, not the CLI's.
    const r = await runCdktf(["destroy", stack, "--auto-approve", "--ignore-missing-stack-dependencies"], {
      cwd: io.cwd,
      env,
      logFile,
      stacks: [stack],
      onEvent: (e) => ui.onCdktf(e),
    });
    if (r.exitCode === 0) continue;
    // The workspace may already be gone (the teardown ran, or it was deleted by hand): then the
    // workspace's own resources went with it, and its stale state is set aside, not lost.
    if (stack === DATABRICKS_STACK && !(await facts.resourceGroup(config.names.resourceGroup))) {
      const state = statePath(io.cwd, DATABRICKS_STACK);
      if (existsSync(state)) renameSync(state, `${state}.gone-${Date.now()}`);
      ui.done(`[${stack}] its workspace is already gone; state set aside`);
      continue;
    }
    ui.stop();
    const t = translateDeployError(r.output, config);
    throw new UpFailed(`destroying ${stack} failed${t ? `: ${t.message}\nfix: ${t.fix}` : ""}\nfull log: ${logFile}`);
  }
  ui.stop();
  io.err("verifying through Azure Resource Manager…");
  const report = await verifyGone(facts, config, sub, hasTeardown);
  if (report.remaining.length === 0) clearChoices(io.cwd, ["deadline", "deployedAt"]);
  return report;
}

export function renderDown(report: DownReport): string {
  const lines = ["removed:", ...report.removed.map((r) => `  - ${r}`)];
  if (report.remaining.length) {
    lines.push("", "still there:", ...report.remaining.map((r) => `  - ${r.what}\n    remove it with: ${r.command}`));
  } else lines.push("", "Nothing of the lab is left.");
  return lines.join("\n");
}

export const downCommand: Command = {
  async run(argv, io) {
    try {
      const parsed = parseCommand("down", argv, { json: { type: "boolean" } }, io, HELP);
      if (!parsed) return EXIT.ok;
      const { values } = parsed;
      const report = await labDown(io);
      io.out(values.json ? JSON.stringify(report, null, 2) : renderDown(report));
      return report.remaining.length ? EXIT.remains : EXIT.ok;
    } catch (e) {
      return reportLifecycleError(e, io);
    }
  },
};
