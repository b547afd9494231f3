// The lab's deployed facts as the commands use them: stack outputs (read in memory), log paths.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { STATE_DIR } from "../stacks/config.ts";
import { DATABRICKS_STACK, LAB_STACK } from "../stacks/stack-names.ts";
import { labDeployed } from "../stacks/terraform-state.ts";
import { OutputsError, readOutputs, type StackOutputs } from "./cdktf-runner.ts";

export interface LabOutputs {
  openaiEndpoint: string;
  openaiDeployment: string;
  /** The deployed model's name (e.g. gpt-5-mini; decides the request parameters), version and type. */
  openaiModel?: string;
  openaiModelVersion?: string;
  openaiDeploymentType?: string;
  openaiApiVersion: string;
  openaiApiKey: string;
  openaiAccountName: string;
  region: string;
  resourceGroup: string;
  managedResourceGroup: string;
  workspaceUrl: string;
  workspaceResourceId: string;
  clusterId?: string;
  clusterUrl?: string;
  experimentId?: string;
  experimentUrl?: string;
  notebookUrl?: string;
  notebookPath?: string;
  /** The lab's Unity Catalog volume, `/Volumes/<catalog>/<schema>/<volume>`. */
  volumePath?: string;
}

/** Whether cdktf.out holds both stacks' synthesized configuration. */
function hasSynth(cwd: string): boolean {
  return [LAB_STACK, DATABRICKS_STACK].every((s) => existsSync(join(cwd, "cdktf.out", "stacks", s, "cdk.tf.json")));
}

export function logPath(cwd: string, command: string): string {
  return join(cwd, STATE_DIR, "logs", `${command}-${new Date().toISOString().replace(/[:.]/g, "-")}.log`);
}

const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

export function toLabOutputs(o: StackOutputs): LabOutputs | undefined {
  const lab = o[LAB_STACK] ?? {};
  const dbx = o[DATABRICKS_STACK] ?? {};
  if (!str(lab.openai_endpoint)) return undefined;
  const [model, version, type] = str(lab.openai_model)?.split(" ") ?? [];
  return {
    openaiEndpoint: String(lab.openai_endpoint),
    openaiDeployment: String(lab.openai_deployment),
    openaiModel: model,
    openaiModelVersion: version,
    openaiDeploymentType: type,
    openaiApiVersion: String(lab.openai_api_version),
    openaiApiKey: String(lab.openai_api_key ?? ""),
    openaiAccountName: String(lab.openai_account_name ?? ""),
    region: String(lab.region ?? ""),
    resourceGroup: String(lab.resource_group_name ?? ""),
    managedResourceGroup: String(lab.managed_resource_group_name ?? ""),
    workspaceUrl: String(lab.workspace_url ?? ""),
    workspaceResourceId: String(lab.workspace_resource_id ?? ""),
    clusterId: str(dbx.cluster_id),
    clusterUrl: str(dbx.cluster_url),
    experimentId: str(dbx.experiment_id),
    experimentUrl: str(dbx.experiment_url),
    notebookUrl: str(dbx.notebook_url),
    notebookPath: str(dbx.notebook_path),
    volumePath: str(dbx.volume_path),
  };
}

/**
 * The deployed lab's outputs, or undefined when its state holds no resources. A deployed lab whose
 * outputs cannot be read is an error that says so — never "not deployed".
 */
export async function labOutputs(cwd: string, env: NodeJS.ProcessEnv, opts: { synthesized?: boolean } = {}): Promise<LabOutputs | undefined> {
  if (!labDeployed(cwd)) return undefined;
  const read = (synthesized: boolean) => readOutputs([LAB_STACK, DATABRICKS_STACK], { cwd, env, logFile: logPath(cwd, "output"), synthesized });
  // Outputs live in the state; the synthesized app only says where the state is. An earlier synth is
  // reused (a synth is most of the call's time); should it point nowhere useful, synthesize and read again.
  let outputs = (opts.synthesized ?? hasSynth(cwd)) ? toLabOutputs(await read(true).catch(() => ({}))) : undefined;
  outputs ??= toLabOutputs(await read(false));
  if (!outputs) {
    throw new OutputsError(
      "the lab's state holds resources but no outputs (an interrupted deploy?): finish it with `evallab up`, or remove it with `evallab down`",
    );
  }
  return outputs;
}
