// Run `evallab` in-process with captured output, or as a real child process.
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { Io } from "../../scripts/commands/command.ts";
import { main } from "../../scripts/cli.ts";
import { REPO_ROOT } from "./tmp.ts";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], opts: { env?: Record<string, string>; cwd: string }): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    out: (t) => (stdout += `${t}\n`),
    err: (t) => (stderr += `${t}\n`),
    env: { PATH: process.env.PATH, HOME: "/nonexistent", EVALLAB_CACHE_DIR: "/nonexistent", ...opts.env },
    cwd: opts.cwd,
    isTTY: false,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

export const EVALLAB_BIN = join(REPO_ROOT, "scripts", "evallab.mjs");

export function spawnCli(argv: string[], opts: { env?: Record<string, string>; cwd: string }) {
  return spawn(process.execPath, [EVALLAB_BIN, ...argv], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH, HOME: "/nonexistent", EVALLAB_CACHE_DIR: "/nonexistent", ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}
