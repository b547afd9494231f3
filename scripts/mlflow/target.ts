// Where `evallab eval --mlflow` logs: MLFLOW_TRACKING_URI when it names an http(s) server, else the
// lab's Databricks workspace and experiment (from the deployed stacks' outputs).
import { DatabricksClient } from "../databricks/client.ts";
import { ServiceError } from "../http/transport.ts";
import { labOutputs } from "../lab-state.ts";
import { MlflowClient, trackingServerFromEnv } from "./client.ts";

export const DEFAULT_EXPERIMENT = "evallab-qa-evaluation";

export interface ResolvedTarget {
  client: MlflowClient;
  experimentId: string;
  runUrl: (experimentId: string, runId: string) => string;
}

export async function resolveMlflowTarget(cwd: string, env: NodeJS.ProcessEnv): Promise<ResolvedTarget> {
  const server = trackingServerFromEnv(env);
  if (server) {
    const client = new MlflowClient(server);
    return {
      client,
      experimentId: await client.experimentId(env.MLFLOW_EXPERIMENT_NAME || DEFAULT_EXPERIMENT),
      runUrl: (e, r) => `${server.host}/#/experiments/${e}/runs/${r}`,
    };
  }
  const lab = await labOutputs(cwd, env);
  if (!lab?.experimentId) {
    throw new ServiceError(
      "mlflow",
      0,
      "NO_TARGET",
      "no MLflow to log to: set MLFLOW_TRACKING_URI to an http(s) tracking server, or deploy the lab (`evallab up`)",
    );
  }
  const db = DatabricksClient.fromEnv(env, lab.workspaceUrl);
  const client = new MlflowClient({
    host: db.host,
    kind: "databricks",
    headers: async () => ({ authorization: `Bearer ${await db.opts.token()}` }),
    timeoutMs: db.opts.timeoutMs,
  });
  return { client, experimentId: lab.experimentId, runUrl: (e, r) => `${db.host}/ml/experiments/${e}/runs/${r}` };
}
