// Builds the lab's stacks into an app: the one place main.ts and the tests share.
import type { App } from "cdktf";
import type { LabConfig } from "./config.ts";
import { DATABRICKS_STACK, DatabricksStack } from "./databricks-stack.ts";
import { LAB_STACK, LabStack } from "./lab-stack.ts";

export interface LabStacks {
  lab: LabStack;
  databricks: DatabricksStack;
}

export function buildStacks(app: App, config: LabConfig): LabStacks {
  const lab = new LabStack(app, LAB_STACK, config);
  const databricks = new DatabricksStack(app, DATABRICKS_STACK, config, lab);
  return { lab, databricks };
}
