// Run `evallab` in-process with captured output, or as a real child process.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { main } from "../../scripts/cli.ts";
import type { Io } from "../../scripts/commands/command.ts";
import { REPO_ROOT, tempDir } from "./tmp.ts";

/** A fresh, empty HOME (cdktf and terraform write ~/.terraform.d there) and cache folder per run. */
function isolatedHome(): Record<string, string> {
  const home = tempDir("evallab-home-");
  return { HOME: home, EVALLAB_CACHE_DIR: join(home, ".cache", "evallab") };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(argv: string[], opts: { env?: Record<string, string>; cwd: string; stdin?: string }): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    out: (t) => (stdout += `${t}\n`),
    err: (t) => (stderr += `${t}\n`),
    env: { PATH: process.env.PATH, ...isolatedHome(), ...opts.env },
    cwd: opts.cwd,
    isTTY: false,
    readStdin: async () => opts.stdin ?? "",
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

export const EVALLAB_BIN = join(REPO_ROOT, "scripts", "evallab.mjs");

export function spawnCli(argv: string[], opts: { env?: Record<string, string>; cwd: string }) {
  return spawn(process.execPath, [EVALLAB_BIN, ...argv], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH, ...isolatedHome(), ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
}
