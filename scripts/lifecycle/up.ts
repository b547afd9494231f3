// The `up` flow: preflight, deploy the stacks through the cdktf CLI, wait for the cluster and its
// libraries, then say where everything is, what it costs and how to remove it.

import { durationMs, isoSeconds } from "../../stacks/config.ts";
import { DATABRICKS_STACK, LAB_STACK, TEARDOWN_STACK } from "../../stacks/stack-names.ts";
import { labDeployed } from "../../stacks/terraform-state.ts";
import { subscriptionId } from "../azure/credentials.ts";
import { runCdktf } from "../cdktf-runner.ts";
import { CommandError, EXIT, type Io } from "../commands/command.ts";
import { formatUsd, hourlyCost } from "../cost.ts";
import { DatabricksClient } from "../databricks/client.ts";
import { waitForCluster } from "../databricks/cluster.ts";
import { translateDeployError } from "../deploy-errors.ts";
import { interruptedError } from "../interrupted.ts";
import { writeChoices } from "../lab-choices.ts";
import { type LabOutputs, labOutputs, logPath } from "../lab-state.ts";
import { StepReporter } from "../step-reporter.ts";
import { labConfig, terraformEnv } from "./context.ts";
import { preflight, renderChecks } from "./preflight.ts";

export interface UpOptions {
  skipPreflight?: boolean;
  wait?: boolean;
}

/** The whole `up` flow; returns the deployed lab's outputs (secrets in memory only). */
export async function labUp(io: Io, opts: UpOptions = {}): Promise<LabOutputs> {
  if (!opts.skipPreflight) {
    io.err("preflight…");
    // Loaded without writing: a failed preflight leaves .evallab/ as it was.
    const outcome = await preflight(io, labConfig(io), false);
    if (outcome.error) {
      io.err(renderChecks(outcome.report));
      throw new CommandError(`preflight: ${outcome.error}; fix: ${outcome.fix}`);
    }
    if (outcome.substituted) io.err(`  note: ${outcome.substituted}`);
    const model = outcome.model ? `${outcome.model.name} ${outcome.model.version} (${outcome.model.deploymentType}), ` : "";
    io.err(`  ${model}region ${outcome.region}${outcome.moved ? " (drawn among the passing regions, saved)" : ""}; all checks passed`);
  }
  let config = labConfig(io); // with preflight's region and model
  // up decides the deadline: it counts from this deployment, not from an earlier synth.
  const decided = { ...config.drawn, ...(config.deadline && !labDeployed(io.cwd) ? { deadline: isoSeconds(Date.now() + durationMs(config.expiresIn)) } : {}) };
  if (Object.keys(decided).length > 0) {
    writeChoices(io.cwd, decided);
    config = labConfig(io);
  }
  const stacks = [LAB_STACK, DATABRICKS_STACK, ...(config.deadline ? [TEARDOWN_STACK] : [])];
  if (!subscriptionId(io.env)) {
    throw new CommandError(
      "Terraform's azurerm provider needs the subscription: set ARM_SUBSCRIPTION_ID (e.g. export ARM_SUBSCRIPTION_ID=$(az account show --query id -o tsv)).",
      EXIT.setup,
    );
  }
  const env = terraformEnv(io);
  const logFile = logPath(io.cwd, "up");
  const ui = new StepReporter(io.isTTY, io.err);
  io.err(`deploying ${stacks.join(", ")} to ${config.region}…`);
  const deploy = () => runCdktf(["deploy", ...stacks, "--auto-approve"], { cwd: io.cwd, env, logFile, stacks, onEvent: (e) => ui.onCdktf(e) });
  let result = await deploy();
  if (result.interrupted) throw interruptedError(io.cwd, "up", result.interrupted);
  let failure = result.exitCode === 0 ? undefined : translateDeployError(result.output, config);
  if (failure?.retry) {
    ui.done(`${failure.message} Retrying once.`);
    result = await deploy();
    if (result.interrupted) throw interruptedError(io.cwd, "up", result.interrupted);
    failure = result.exitCode === 0 ? undefined : translateDeployError(result.output, config);
  }
  ui.stop();
  if (result.exitCode !== 0) {
    const what = failure ? `${failure.message}\nfix: ${failure.fix}` : "the deployment failed (see the log for Terraform's error)";
    throw new CommandError(`${what}\nfull log: ${logFile}`);
  }
  const outputs = await labOutputs(io.cwd, env, { synthesized: true });
  if (!outputs) throw new CommandError(`deployed, but the stack outputs could not be read; full log: ${logFile}`);
  writeChoices(io.cwd, { deployedAt: new Date().toISOString() });

  if (opts.wait !== false && outputs.clusterId) {
    const db = DatabricksClient.fromEnv(io.env, outputs.workspaceUrl);
    const wait = new StepReporter(io.isTTY, io.err);
    wait.status("waiting for the cluster");
    await waitForCluster(db, outputs.clusterId, { onTick: (t) => wait.status(t), pollMs: Number(io.env.LAB_POLL_MS) || undefined });
    wait.stop();
    io.err("  cluster RUNNING, libraries INSTALLED");
  }
  const cost = hourlyCost(config);
  io.out(
    [
      "",
      "The lab is up:",
      `  OpenAI endpoint   ${outputs.openaiEndpoint} (deployment ${outputs.openaiDeployment}: ${config.model} ${config.modelVersion} ${config.deploymentType}, API ${outputs.openaiApiVersion})`,
      `  workspace         ${outputs.workspaceUrl}`,
      `  cluster           ${outputs.clusterUrl ?? "?"}`,
      `  experiment        ${outputs.experimentUrl ?? "?"}`,
      `  cost              about ${formatUsd(cost.clusterPerHour)}/hour while the cluster runs (${cost.breakdown})`,
      config.deadline
        ? `  removed at        ${config.deadline} by the lab-teardown stack (extend with \`evallab extend 2h\`)`
        : "  removed at        never automatically (expiresIn: off)",
      "",
      "Evaluate with `evallab eval` (or `npm run lab`); remove everything with `evallab down`.",
    ].join("\n"),
  );
  return outputs;
}
