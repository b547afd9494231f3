// Builds the lab's stacks into an app: the one place main.ts and the tests share.
import type { App } from "cdktf";
import type { LabConfig } from "./config.ts";
import { DATABRICKS_STACK, DatabricksStack } from "./databricks-stack.ts";
import { LAB_STACK, LabStack } from "./lab-stack.ts";
import { TEARDOWN_STACK, TeardownStack } from "./teardown-stack.ts";

export interface LabStacks {
  lab: LabStack;
  databricks: DatabricksStack;
  /** Absent with `expiresIn: off`. */
  teardown?: TeardownStack;
}

export function buildStacks(app: App, config: LabConfig): LabStacks {
  const lab = new LabStack(app, LAB_STACK, config);
  const databricks = new DatabricksStack(app, DATABRICKS_STACK, config, lab);
  if (!config.deadline) return { lab, databricks };
  const teardown = new TeardownStack(app, TEARDOWN_STACK, { ...config, deadline: config.deadline });
  // Its role assignments are scoped to the lab's group, which must exist first.
  teardown.addDependency(lab);
  return { lab, databricks, teardown };
}
