// The stacks' names, importable without loading any provider class (the CLI needs only these).
export const LAB_STACK = "lab";
export const DATABRICKS_STACK = "lab-databricks";
export const TEARDOWN_STACK = "lab-teardown";
