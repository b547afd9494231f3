// One life-cycle command at a time per lab folder: `.evallab/lock` holds who has it (pid, command,
// since when). Two `up`s would synthesize into the same cdktf.out and apply the same state; a second
// command exits 2 naming the holder. A lock left by a dead process is taken over.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { STATE_DIR } from "../stacks/config.ts";

export interface LockHolder {
  pid: number;
  command: string;
  since: string;
}

export class LockedError extends Error {
  readonly exitCode = 2;
  constructor(readonly holder: LockHolder) {
    super(
      `another \`evallab ${holder.command}\` is running in this folder (pid ${holder.pid}, since ${holder.since}); ` +
        "wait for it to finish, or stop it (Ctrl-C in its terminal) and run this again",
    );
  }
}

export const lockPath = (rootDir: string) => join(rootDir, STATE_DIR, "lock");

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"; // exists, owned by someone else
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(file, "utf8"));
    return typeof h?.pid === "number" ? h : undefined;
  } catch {
    return undefined; // torn or half-written: treated as stale
  }
}

/** Take the folder's lock (O_EXCL: exactly one taker wins) or throw LockedError; returns the release. */
export function acquireLock(rootDir: string, command: string): () => void {
  const file = lockPath(rootDir);
  mkdirSync(join(rootDir, STATE_DIR), { recursive: true, mode: 0o700 });
  const me: LockHolder = { pid: process.pid, command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, `${JSON.stringify(me)}\n`);
      closeSync(fd);
      return () => {
        if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = readHolder(file);
      if (holder && alive(holder.pid)) throw new LockedError(holder);
      rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  const holder = readHolder(file);
  throw new LockedError(holder ?? { pid: 0, command: "?", since: "?" });
}

/** Run `fn` holding the lock; released however it ends. */
export async function withLock<T>(rootDir: string, command: string, fn: () => Promise<T>): Promise<T> {
  const release = acquireLock(rootDir, command);
  try {
    return await fn();
  } finally {
    release();
  }
}
