// What an interrupted life-cycle command says: what exists now (from the Terraform state, which
// terraform saved before stopping) and the command that finishes or removes it. Exit 130.

import { DATABRICKS_STACK, LAB_STACK, TEARDOWN_STACK } from "../stacks/stack-names.ts";
import { stateResources } from "../stacks/terraform-state.ts";

export const EXIT_INTERRUPTED = 130;

export class InterruptedError extends Error {
  readonly exitCode = EXIT_INTERRUPTED;
}

/** "lab: 5 resources, lab-databricks: none, lab-teardown: none" from the states on disk. */
export function whatExists(rootDir: string): string {
  return [LAB_STACK, DATABRICKS_STACK, TEARDOWN_STACK]
    .map((s) => {
      const n = stateResources(rootDir, s).length;
      return `${s}: ${n === 0 ? "none" : `${n} resource${n === 1 ? "" : "s"}`}`;
    })
    .join(", ");
}

const NEXT: Record<string, string> = {
  up: "finish it with `evallab up`, or remove what exists with `evallab down`",
  down: "finish removing it with `evallab down`",
  extend: "run `evallab extend` again, or `evallab status` to see the deadline in force",
};

export function interruptedError(rootDir: string, command: string, signal: string): InterruptedError {
  return new InterruptedError(
    `interrupted (${signal}): terraform stopped after saving its state. In the state now: ${whatExists(rootDir)}. Next: ${NEXT[command] ?? ""}.`,
  );
}
