// One way to write a file so that a crash never leaves half of it under the real name: a temp file in
// the same folder (so the rename is atomic), named so no two writers ever share it, then a rename.
import { renameSync, writeFileSync } from "node:fs";

let seq = 0;

/** A temp path beside `path` that no other writer, in this process or another, uses. */
export function tempPathFor(path: string): string {
  return `${path}.${process.pid}.${++seq}.tmp`;
}

export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(path);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Pretty JSON with a final newline, written atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
