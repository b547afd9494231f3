// `evallab extend 2h`: move the teardown's deadline — the lab-teardown stack's parameter and the
// lab's `expires-at` tags — and nothing else: no other stack is applied.

import { durationMs, isoSeconds, type LabConfig } from "../../stacks/config.ts";
import { TEARDOWN_STACK } from "../../stacks/stack-names.ts";
import { labDeployed } from "../../stacks/terraform-state.ts";
import { runCdktf } from "../cdktf-runner.ts";
import { interruptedError } from "../interrupted.ts";
import { writeChoices } from "../lab-choices.ts";
import { logPath } from "../lab-state.ts";
import { azure, labConfig, terraformEnv } from "../lifecycle/context.ts";
import { withLock } from "../lock.ts";
import type { AzureFacts } from "../preflight/azure-facts.ts";
import { StepReporter } from "../step-reporter.ts";
import { type Command, CommandError, EXIT, type Io, parseCommand, UsageError } from "./command.ts";

const HELP = `usage: evallab extend DURATION

Moves the lab's teardown deadline by DURATION (e.g. 90m, 2h, 1d) — from the current deadline, or from
now if it has passed: redeploys only the lab-teardown stack (its deadline) and merges the new
expires-at tag into the lab's resource groups and resources through ARM. No other stack is applied.
exit: 0 moved · 1 the redeploy failed · 2 bad duration, no teardown, or no lab deployed here`;

/** The new `expires-at` on the lab's groups and what they hold (the Tags API merges; other tags stay). */
async function retag(facts: AzureFacts, config: LabConfig, sub: string, deadline: string): Promise<void> {
  const tags = { "expires-at": deadline };
  for (const group of [config.names.resourceGroup, config.names.teardownGroup]) {
    if (!(await facts.resourceGroup(group))) continue;
    await facts.mergeTags(`/subscriptions/${sub}/resourceGroups/${group}`, tags);
    for (const r of await facts.groupResources(group)) await facts.mergeTags(r.id, tags);
  }
}

async function extend(io: Io, by: number): Promise<string> {
  const config = labConfig(io);
  if (!config.deadline) throw new UsageError("evallab extend: this lab has no teardown (expiresIn: off); nothing to extend");
  if (!labDeployed(io.cwd))
    throw new UsageError("evallab extend: no lab is deployed from this folder (its Terraform state holds no resources); `evallab up` sets a fresh deadline");
  const deadline = isoSeconds(Math.max(Date.now(), Date.parse(config.deadline)) + by);
  writeChoices(io.cwd, { deadline });
  const logFile = logPath(io.cwd, "extend");
  const ui = new StepReporter(io.isTTY, io.err);
  io.err(`moving the deadline from ${config.deadline} to ${deadline}…`);
  const r = await runCdktf(["deploy", TEARDOWN_STACK, "--auto-approve", "--ignore-missing-stack-dependencies"], {
    cwd: io.cwd,
    env: terraformEnv(io),
    logFile,
    stacks: [TEARDOWN_STACK],
    onEvent: (e) => ui.onCdktf(e),
  });
  ui.stop();
  if (r.interrupted) throw interruptedError(io.cwd, "extend", r.interrupted);
  // The new deadline stays saved either way: the next `evallab extend` or `up` deploys it.
  if (r.exitCode !== 0) throw new CommandError(`redeploying the deadline failed; full log: ${logFile}`);
  const { facts, subscriptionId } = azure(io);
  await retag(facts, config, subscriptionId, deadline);
  return deadline;
}

export const extendCommand: Command = {
  async run(argv, io) {
    const parsed = parseCommand("extend", argv, {}, io, HELP, 1);
    if (!parsed) return EXIT.ok;
    const { positionals } = parsed;
    const by = durationMs(positionals[0] ?? "");
    if (positionals.length !== 1 || !Number.isFinite(by) || by <= 0) throw new UsageError("evallab extend: give one duration such as 90m, 2h or 1d");
    const deadline = await withLock(io.cwd, "extend", () => extend(io, by));
    io.out(`The lab is now removed at ${deadline}.`);
    return EXIT.ok;
  },
};
