// `evallab status`: is the lab deployed, where, since when, is the cluster running, what has it cost.

import { formatDuration } from "../../eval/terminal.ts";
import type { LabConfig } from "../../stacks/config.ts";
import { readChoices } from "../../stacks/config.ts";
import { TEARDOWN_STACK } from "../../stacks/stack-names.ts";
import { stackDeployed } from "../../stacks/terraform-state.ts";
import { formatUsd, hourlyCost } from "../cost.ts";
import { DatabricksClient } from "../databricks/client.ts";
import { getCluster } from "../databricks/cluster.ts";
import { labOutputs } from "../lab-state.ts";
import { azure, labConfig } from "../lifecycle/context.ts";
import { type Command, EXIT, type Io, parseCommand } from "./command.ts";

const HELP = `usage: evallab status [--json]

Whether the lab is deployed, its region and age, the cluster's state, the teardown's deadline and time
left, and an estimate of the cost so far (cluster time at list prices; see the README).`;

export interface LabStatus {
  deployed: boolean;
  region?: string;
  /** The deployed model, its version and deployment type. */
  model?: { name: string; version: string; deploymentType: string };
  deployedAt?: string;
  ageMs?: number;
  cluster?: { id: string; state: string; runningForMs?: number };
  costSoFarUsd?: number;
  costPerHourUsd?: number;
  workspaceUrl?: string;
  experimentUrl?: string;
  /** The teardown's deadline (ISO, UTC) and the time left; absent with expiresIn: off. */
  deadline?: string;
  timeLeftMs?: number;
  /** The teardown Logic App's last run, from its run history in ARM. */
  guard?: { lastRun?: { status: string; startTime?: string; code?: string }; error?: string };
}

/** The guard's newest run: Failed means it could not remove the lab (a lock, a policy, a slow delete). */
async function guardState(io: Io, config: LabConfig): Promise<LabStatus["guard"]> {
  if (!stackDeployed(io.cwd, TEARDOWN_STACK)) return undefined;
  try {
    const { facts } = azure(io);
    const run = await facts.lastWorkflowRun(config.names.teardownGroup, config.names.teardownWorkflow);
    return { lastRun: run ? { status: run.properties.status, startTime: run.properties.startTime, code: run.properties.code } : undefined };
  } catch (e) {
    return { error: (e as Error).message.slice(0, 160) };
  }
}

function renderGuard(g: LabStatus["guard"]): string {
  if (!g) return "";
  if (g.error) return `; last run unknown (${g.error})`;
  if (!g.lastRun) return "; no run yet";
  const at = g.lastRun.startTime ? ` at ${g.lastRun.startTime}` : "";
  if (g.lastRun.status === "Failed") {
    return `; WARNING: its last run${at} Failed${g.lastRun.code ? ` (${g.lastRun.code})` : ""}: it could not remove the lab — see the Logic App's run history, or remove it with \`evallab down\``;
  }
  return `; last run ${g.lastRun.status}${at}`;
}

export async function labStatus(io: Io, now = Date.now()): Promise<LabStatus> {
  const outputs = await labOutputs(io.cwd, io.env);
  if (!outputs) return { deployed: false };
  const choices = readChoices(io.cwd);
  const deployedAt = typeof choices.deployedAt === "string" ? choices.deployedAt : undefined;
  const config = labConfig(io);
  const perHour = hourlyCost(config).clusterPerHour;
  const status: LabStatus = {
    deployed: true,
    region: outputs.region,
    // What the state says is deployed; the configuration's view for labs deployed before this output existed.
    model: {
      name: outputs.openaiModel ?? config.model,
      version: outputs.openaiModelVersion ?? config.modelVersion,
      deploymentType: outputs.openaiDeploymentType ?? config.deploymentType,
    },
    deployedAt,
    ageMs: deployedAt ? now - Date.parse(deployedAt) : undefined,
    costPerHourUsd: perHour,
    workspaceUrl: outputs.workspaceUrl,
    experimentUrl: outputs.experimentUrl,
    deadline: config.deadline,
    timeLeftMs: config.deadline ? Date.parse(config.deadline) - now : undefined,
  };
  status.guard = await guardState(io, config);
  if (outputs.clusterId) {
    try {
      const info = await getCluster(DatabricksClient.fromEnv(io.env, outputs.workspaceUrl), outputs.clusterId);
      const runningForMs = info.state === "RUNNING" && info.start_time ? now - info.start_time : undefined;
      status.cluster = { id: outputs.clusterId, state: info.state, runningForMs };
      // Only the current cluster session is known to the API: the estimate is a lower bound.
      status.costSoFarUsd = runningForMs !== undefined ? (runningForMs / 3_600_000) * perHour : 0;
    } catch (e) {
      status.cluster = { id: outputs.clusterId, state: `unknown (${(e as Error).message.slice(0, 120)})` };
    }
  }
  return status;
}

export function renderStatus(s: LabStatus): string {
  if (!s.deployed) return "The lab is not deployed. Stand it up with `evallab up`.";
  return [
    `deployed   yes, in ${s.region}${s.ageMs !== undefined ? `, ${formatDuration(s.ageMs)} ago (${s.deployedAt})` : ""}`,
    `model      ${s.model ? `${s.model.name} ${s.model.version} (${s.model.deploymentType})` : "?"}`,
    `cluster    ${s.cluster ? `${s.cluster.state}${s.cluster.runningForMs !== undefined ? ` for ${formatDuration(s.cluster.runningForMs)}` : ""}` : "not deployed"}`,
    `cost       about ${formatUsd(s.costSoFarUsd ?? 0)} in the current cluster session (${formatUsd(s.costPerHourUsd ?? Number.NaN)}/hour while it runs; estimate)`,
    `teardown   ${s.deadline ? `${s.deadline} (${(s.timeLeftMs ?? 0) > 0 ? `in ${formatDuration(s.timeLeftMs ?? 0)}` : "due now"}); \`evallab extend 2h\` moves it${renderGuard(s.guard)}` : "off (the lab stays until `evallab down`)"}`,
    `workspace  ${s.workspaceUrl}`,
    `experiment ${s.experimentUrl ?? "?"}`,
  ].join("\n");
}

export const statusCommand: Command = {
  async run(argv, io) {
    const parsed = parseCommand("status", argv, { json: { type: "boolean" } }, io, HELP);
    if (!parsed) return EXIT.ok;
    const { values } = parsed;
    const s = await labStatus(io);
    io.out(values.json ? JSON.stringify(s, null, 2) : renderStatus(s));
    return EXIT.ok;
  },
};
