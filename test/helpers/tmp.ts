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

export const REPO_ROOT = join(import.meta.dirname, "..", "..");
export const SHARED = join(REPO_ROOT, "..", "shared");
