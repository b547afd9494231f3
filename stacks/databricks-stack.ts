// Stack `lab-databricks`: inside the workspace — cluster, secret scope, MLflow experiment.

import { join } from "node:path";
import { DataDatabricksCurrentUser } from "@cdktf/provider-databricks/lib/data-databricks-current-user";
import { MlflowExperiment } from "@cdktf/provider-databricks/lib/mlflow-experiment";
import { DatabricksProvider } from "@cdktf/provider-databricks/lib/provider";
import { Schema } from "@cdktf/provider-databricks/lib/schema";
import { Secret } from "@cdktf/provider-databricks/lib/secret";
import { SecretScope } from "@cdktf/provider-databricks/lib/secret-scope";
import { Volume } from "@cdktf/provider-databricks/lib/volume";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { LabConfig } from "./config.ts";
import { LabCluster } from "./constructs/lab-cluster.ts";
import { LabNotebook } from "./constructs/lab-notebook.ts";
import type { LabStack } from "./lab-stack.ts";

export { DATABRICKS_STACK } from "./stack-names.ts";
/** Secret key under the lab's scope that holds the OpenAI key. */
export const OPENAI_KEY_SECRET = "azure-openai-api-key";
const EVAL_DIR = join(import.meta.dirname, "..", "eval");

export class DatabricksStack extends TerraformStack {
  readonly currentUser: DataDatabricksCurrentUser;
  readonly cluster: LabCluster;
  readonly experiment: MlflowExperiment;
  readonly notebook: LabNotebook;
  readonly workspaceUrl: string;

  constructor(scope: Construct, id: string, config: LabConfig, lab: LabStack) {
    super(scope, id);
    this.workspaceUrl = lab.workspaceUrl;

    // Azure auth (CLI / service principal) against the workspace the lab stack created.
    new DatabricksProvider(this, "databricks", {
      host: lab.workspaceUrl,
      azureWorkspaceResourceId: lab.workspace.id,
    });

    this.currentUser = new DataDatabricksCurrentUser(this, "me", {});

    const scope_ = new SecretScope(this, "scope", { name: config.names.secretScope });
    new Secret(this, "openai-key", {
      scope: scope_.name,
      key: OPENAI_KEY_SECRET,
      stringValue: lab.openai.account.primaryAccessKey,
    });

    // The construct id stays "single-node" whatever the size: it is part of the cluster's logical id,
    // and a new id would make Terraform replace the cluster of a deployed lab.
    this.cluster = new LabCluster(this, "single-node", {
      clusterName: config.names.cluster,
      nodeType: config.nodeType,
      workers: config.workers,
      autoterminationMinutes: config.autoterminationMinutes,
      singleUserName: this.currentUser.userName,
      pypiLibraries: config.clusterLibraries,
      customTags: config.allTags,
      // The key reaches the cluster as a secret reference, never as plaintext in the cluster spec.
      sparkEnvVars: {
        AZURE_OPENAI_ENDPOINT: lab.openai.account.endpoint,
        AZURE_OPENAI_API_VERSION: config.apiVersion,
        AZURE_OPENAI_DEPLOYMENT: config.deploymentName,
        AZURE_OPENAI_API_KEY: `{{secrets/${config.names.secretScope}/${OPENAI_KEY_SECRET}}}`,
      },
    });

    this.experiment = new MlflowExperiment(this, "experiment", {
      name: `${this.currentUser.home}/${config.names.experiment}`,
    });

    this.notebook = new LabNotebook(this, "evaluation", {
      folder: `${this.currentUser.home}/${config.prefix}`,
      notebookFile: join(EVAL_DIR, "notebooks", "qa_evaluation.py"),
      datasetFile: join(EVAL_DIR, "datasets", "lab-qa.jsonl"),
    });

    // Large datasets and results stream through this volume with the Files API (Unity Catalog volumes
    // only; a workspace file import stops at 10 MB). force_destroy: `down` leaves nothing behind.
    const schema = new Schema(this, "files-schema", {
      catalogName: config.volumeCatalog,
      name: config.names.volumeSchema,
      comment: "evallab: the lab's files (datasets in, results out)",
      forceDestroy: true,
    });
    const volume = new Volume(this, "files-volume", {
      catalogName: config.volumeCatalog,
      schemaName: schema.name,
      name: config.names.volume,
      volumeType: "MANAGED",
    });

    const out = (name: string, value: string, description: string) => new TerraformOutput(this, name, { value, description });
    out("volume_path", `/Volumes/${volume.catalogName}/${volume.schemaName}/${volume.name}`, "The lab's Unity Catalog volume (Files API)");
    out("cluster_id", this.cluster.cluster.id, "Single-node cluster id");
    out("cluster_url", this.cluster.cluster.url, "Cluster page");
    out("experiment_id", this.experiment.id, "MLflow experiment id");
    out("experiment_url", `${this.workspaceUrl}/ml/experiments/${this.experiment.id}`, "MLflow experiment page");
    out("secret_scope", scope_.name, "Secret scope holding the OpenAI key");
    out("notebook_path", this.notebook.notebook.path, "The evaluation notebook's workspace path");
    out("notebook_url", this.notebook.notebook.url, "The evaluation notebook's page");
    out("dataset_path", this.notebook.dataset.path, "The bundled dataset beside the notebook");
  }
}
