// What Terraform's local state says the lab holds. "Deployed" is decided from the resources in the
// state, never from the file's existence: after `destroy`, terraform 1.x keeps an *empty* state file
// (and a `.backup` of the old one).
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { LAB_STACK } from "./stack-names.ts";

/** Where cdktf's default local backend keeps a stack's Terraform state. */
export function statePath(rootDir: string, stack: string): string {
  return join(rootDir, `terraform.${stack}.tfstate`);
}

/** One managed resource of a v4 state (`resources[]` with `mode: "managed"`). */
export interface StateResource {
  type: string;
  name: string;
  /** The first instance's attributes (the lab declares no count/for_each). */
  attributes: Record<string, unknown>;
}

export class StateError extends Error {
  readonly exitCode = 2;
}

/** The managed resources a stack's state holds; none when there is no state (or an empty one). */
export function stateResources(rootDir: string, stack: string): StateResource[] {
  const file = statePath(rootDir, stack);
  if (!existsSync(file)) return [];
  const text = readFileSync(file, "utf8");
  if (!text.trim()) return [];
  let state: { version?: number; resources?: { mode?: string; type: string; name: string; instances?: { attributes?: Record<string, unknown> }[] }[] };
  try {
    state = JSON.parse(text);
  } catch {
    throw new StateError(`${file} is not valid JSON: restore it from ${file}.backup, or remove it if the lab is gone`);
  }
  return (state.resources ?? [])
    .filter((r) => r.mode === "managed" && (r.instances?.length ?? 0) > 0)
    .map((r) => ({ type: r.type, name: r.name, attributes: r.instances?.[0]?.attributes ?? {} }));
}

export const stackDeployed = (rootDir: string, stack: string) => stateResources(rootDir, stack).length > 0;

/** The lab's Terraform state holds resources: it is (or was partly) deployed from this folder. */
export const labDeployed = (rootDir: string) => stackDeployed(rootDir, LAB_STACK);

/** Remove a stack's state and its backup (for a stack whose resources are gone with their workspace). */
export function removeState(rootDir: string, stack: string): void {
  for (const f of [statePath(rootDir, stack), `${statePath(rootDir, stack)}.backup`]) rmSync(f, { force: true });
}
