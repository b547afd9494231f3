// The `down` flow: destroy lab-teardown, lab-databricks, then lab, then prove through ARM that nothing is
// left — the resource groups, any soft-deleted OpenAI account (purged), the teardown's custom roles.
import { existsSync, rmSync } from "node:fs";
import { choicesPath, LAB_REGIONS, type LabConfig, type LabRegion } from "../../stacks/config.ts";
import { DATABRICKS_STACK, LAB_STACK, TEARDOWN_STACK } from "../../stacks/stack-names.ts";
import { removeState, stackDeployed, statePath, stateResources } from "../../stacks/terraform-state.ts";
import { API } from "../azure/api-versions.ts";
import { runCdktf } from "../cdktf-runner.ts";
import { CommandError, EXIT, type Io } from "../commands/command.ts";
import { translateDeployError } from "../deploy-errors.ts";
import { interruptedError } from "../interrupted.ts";
import { clearChoices, writeChoices } from "../lab-choices.ts";
import { logPath } from "../lab-state.ts";
import type { AzureFacts } from "../preflight/azure-facts.ts";
import { StepReporter } from "../step-reporter.ts";
import { azure, labConfig, terraformEnv } from "./context.ts";

export interface Remaining {
  what: string;
  command: string;
}

export interface DownReport {
  removed: string[];
  remaining: Remaining[];
}

/** What ARM still shows of the lab, removing what it can on the way: groups, the soft-deleted account, the teardown's roles. */
export async function verifyGone(facts: AzureFacts, config: LabConfig, sub: string, teardown = false): Promise<DownReport> {
  const removed: string[] = [];
  const remaining: Remaining[] = [];
  const groups: [string, string][] = [
    ...(teardown ? ([["teardown resource group", config.names.teardownGroup]] as [string, string][]) : []),
    ["resource group", config.names.resourceGroup],
    ["managed resource group", config.names.managedResourceGroup],
  ];
  for (const [label, name] of groups) {
    if (!(await facts.resourceGroup(name))) {
      removed.push(`${label} ${name}`);
      continue;
    }
    // Left behind (state lost, or Terraform did not know it): delete it through ARM and wait.
    try {
      if (label !== "managed resource group") await facts.deleteResourceGroup(name);
    } catch {}
    if (await facts.resourceGroup(name)) {
      remaining.push({ what: `${label} ${name}`, command: `az group delete --name ${name} --subscription ${sub} --yes` });
    } else removed.push(`${label} ${name} (deleted now)`);
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
  await removeTeardownRoles(facts, config, removed, remaining);
  return { removed, remaining };
}

/**
 * The teardown's custom roles are subscription-level: they outlive its Logic App (which removes its own
 * group, not them). Their assignments go first (ARM refuses to delete an assigned role).
 */
async function removeTeardownRoles(facts: AzureFacts, config: LabConfig, removed: string[], remaining: Remaining[]) {
  const names = [`${config.prefix}-${config.suffix}-teardown-deleter`, `${config.prefix}-${config.suffix}-teardown-purger`];
  for (const roleName of names) {
    for (const def of await facts.customRoles(roleName)) {
      try {
        for (const a of (await facts.roleAssignments()).filter((x) => x.properties.roleDefinitionId.toLowerCase() === def.id.toLowerCase())) {
          await facts.deleteById(a.id, API.authorization);
        }
        await facts.deleteById(def.id, API.authorization);
        removed.push(`custom role ${roleName} and its assignments`);
      } catch (e) {
        remaining.push({
          what: `custom role ${roleName} (${(e as Error).message})`,
          command: `az role assignment delete --role ${roleName} && az role definition delete --name ${roleName}`,
        });
      }
    }
  }
}

/** The name suffix in one of the lab's resource group names (`rg-<prefix>-<suffix>[-teardown|-dbw-managed]`). */
function suffixOfGroup(prefix: string, name: string): string | undefined {
  return new RegExp(`^rg-${prefix}-([a-z0-9]{6})(-teardown|-dbw-managed)?$`).exec(name)?.[1];
}

/** The lab's name suffix and region as its Terraform state records them (resource group name and location). */
function fromState(rootDir: string, prefix: string): { suffix: string; region: string } | undefined {
  for (const stack of [LAB_STACK, TEARDOWN_STACK, DATABRICKS_STACK]) {
    for (const r of stateResources(rootDir, stack)) {
      const suffix = r.type === "azurerm_resource_group" ? suffixOfGroup(prefix, String(r.attributes.name)) : undefined;
      if (suffix) return { suffix, region: String(r.attributes.location) };
    }
  }
  return undefined;
}

/**
 * Which lab to remove: the one this folder's choices name; else the one its Terraform state holds;
 * else, with no state either, the one resource group tagged `lab=<prefix>` names in the subscription.
 */
async function locateLab(io: Io, facts: AzureFacts, sub: string): Promise<{ config?: LabConfig; prefix: string }> {
  const settings = labConfig(io);
  if (existsSync(choicesPath(io.cwd))) return { config: settings, prefix: settings.prefix };
  const { prefix } = settings;
  let found = fromState(io.cwd, prefix);
  if (!found) {
    const groups = await facts.labGroups(prefix);
    const suffixes = new Map<string, string>();
    for (const g of groups) {
      const suffix = suffixOfGroup(prefix, g.name);
      if (suffix) suffixes.set(suffix, g.location);
    }
    if (suffixes.size > 1) {
      throw new CommandError(
        `no lab state here, and subscription ${sub} holds ${suffixes.size} labs tagged lab=${prefix} (${groups.map((g) => g.name).join(", ")}): ` +
          "run `evallab down` in the folder that deployed each, or remove one with `az group delete --name <group> --yes`",
        EXIT.setup,
      );
    }
    const [entry] = [...suffixes.entries()];
    if (entry) found = { suffix: entry[0], region: entry[1] };
  }
  if (!found) return { prefix };
  writeChoices(io.cwd, { suffix: found.suffix, ...(LAB_REGIONS.includes(found.region as LabRegion) ? { region: found.region as LabRegion } : {}) });
  return { config: labConfig(io), prefix }; // with the recovered suffix
}

export async function labDown(io: Io): Promise<DownReport> {
  const { facts, subscriptionId: sub } = azure(io);
  const { config, prefix } = await locateLab(io, facts, sub);
  if (!config) {
    return { removed: [`nothing: no lab state in this folder, and no resource group tagged lab=${prefix} in subscription ${sub}`], remaining: [] };
  }
  const env = terraformEnv(io);
  const logFile = logPath(io.cwd, "down");
  const ui = new StepReporter(io.isTTY, io.err);

  // The teardown first (so it cannot fire mid-way), then dependants before the lab itself; a stack
  // whose state holds nothing has nothing for Terraform to destroy.
  const hasTeardown = Boolean(config.deadline) || stackDeployed(io.cwd, TEARDOWN_STACK);
  let synthesized = false;
  for (const stack of [TEARDOWN_STACK, DATABRICKS_STACK, LAB_STACK].filter((s) => stackDeployed(io.cwd, s))) {
    io.err(`destroying ${stack}…`);
    // One stack at a time, dependants first: the order is ours, not the CLI's. The app is synthesized
    // once, by the first destroy; the next ones reuse it (a synth is most of a destroy's time).
    const skipSynth = synthesized ? ["--skip-synth"] : [];
    const r = await runCdktf(["destroy", stack, "--auto-approve", "--ignore-missing-stack-dependencies", ...skipSynth], {
      cwd: io.cwd,
      env,
      logFile,
      stacks: [stack],
      onEvent: (e) => ui.onCdktf(e),
    });
    if (r.interrupted) throw interruptedError(io.cwd, "down", r.interrupted);
    synthesized ||= r.exitCode === 0;
    if (r.exitCode === 0) continue;
    // The workspace may already be gone (the teardown ran, or it was deleted by hand): then the
    // workspace's own resources went with it. Its stale state (which holds the key) is removed, not copied.
    if (stack === DATABRICKS_STACK && !(await facts.resourceGroup(config.names.resourceGroup))) {
      removeState(io.cwd, DATABRICKS_STACK);
      ui.done(`[${stack}] its workspace is already gone; its stale state removed`);
      continue;
    }
    ui.stop();
    const t = translateDeployError(r.output, config);
    throw new CommandError(`destroying ${stack} failed${t ? `: ${t.message}\nfix: ${t.fix}` : ""}\nfull log: ${logFile}`);
  }
  ui.stop();
  io.err("verifying through Azure Resource Manager…");
  const report = await verifyGone(facts, config, sub, hasTeardown);
  if (report.remaining.length === 0) {
    clearChoices(io.cwd, ["deadline", "deployedAt", "model"]);
    // The backups hold the old state, key included, of resources that no longer exist.
    for (const stack of [TEARDOWN_STACK, DATABRICKS_STACK, LAB_STACK]) rmSync(`${statePath(io.cwd, stack)}.backup`, { force: true });
  }
  return report;
}

export function renderDown(report: DownReport): string {
  const lines = ["removed:", ...report.removed.map((r) => `  - ${r}`)];
  if (report.remaining.length) {
    lines.push("", "still there:", ...report.remaining.map((r) => `  - ${r.what}\n    remove it with: ${r.command}`));
  } else lines.push("", "Nothing of the lab is left.");
  return lines.join("\n");
}
