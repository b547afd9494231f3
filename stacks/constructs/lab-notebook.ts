// The lab's evaluation notebook and its bundled dataset, side by side in the deploying user's folder.
// Both are cdktf file assets (copied into the synth output, relative paths) and carry an md5 of their
// content, so editing the file updates the workspace copy on the next deploy.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Notebook } from "@cdktf/provider-databricks/lib/notebook";
import { WorkspaceFile } from "@cdktf/provider-databricks/lib/workspace-file";
import { AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";

export interface LabNotebookProps {
  /** Workspace folder, e.g. `/Users/ana@example.com/evallab`. */
  readonly folder: string;
  /** Local notebook source (Databricks source format, Python). */
  readonly notebookFile: string;
  /** Local dataset the notebook reads by default (`lab-qa.jsonl`). */
  readonly datasetFile: string;
}

const md5 = (file: string) => createHash("md5").update(readFileSync(file)).digest("hex");

export class LabNotebook extends Construct {
  readonly notebook: Notebook;
  readonly dataset: WorkspaceFile;

  constructor(scope: Construct, id: string, props: LabNotebookProps) {
    super(scope, id);
    const notebookAsset = new TerraformAsset(this, "notebook-source", { path: props.notebookFile, type: AssetType.FILE });
    const datasetAsset = new TerraformAsset(this, "dataset-source", { path: props.datasetFile, type: AssetType.FILE });

    this.notebook = new Notebook(this, "notebook", {
      path: `${props.folder}/qa_evaluation`,
      language: "PYTHON",
      source: notebookAsset.path,
      md5: md5(props.notebookFile),
    });
    // The notebook's default dataset: the file beside it (see default_dataset_path in the notebook).
    this.dataset = new WorkspaceFile(this, "dataset", {
      path: `${props.folder}/lab-qa.jsonl`,
      source: datasetAsset.path,
      md5: md5(props.datasetFile),
    });
  }
}
