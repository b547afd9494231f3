// Temp folders that tests always remove, so nothing is left in the system temp directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";

const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp folder removed after the test file finishes. */
export function tempDir(label = "evallab-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), label));
  made.push(dir);
  return dir;
}

/** A path that does not exist (inside a fresh temp folder). */
export function missingPath(): string {
  return join(tempDir(), "missing");
}

/** A path that does not exist and is never created: stable for module-level settings. */
export const NEVER_CREATED = join(tmpdir(), `evallab-never-created-${process.pid}-${Date.now()}`, "missing");

export const REPO_ROOT = join(import.meta.dirname, "..", "..");
