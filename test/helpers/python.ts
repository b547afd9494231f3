// The Python side of the tests: the venv made by test/python-env.sh (npm test runs it first), and an
// offline tiktoken cache for MLflow's token_count.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT } from "./tmp.ts";

export { tiktokenCache } from "./tiktoken-cache.ts";

export const VENV_PYTHON = join(REPO_ROOT, ".venv", "bin", "python");

export function requirePython(): string {
  if (!existsSync(VENV_PYTHON)) throw new Error("no .venv: run `bash test/python-env.sh` (npm test does it first)");
  return VENV_PYTHON;
}

export interface PyRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the venv's python asynchronously (the test's own fake servers must keep answering meanwhile). */
export function runPython(args: string[], opts: { cwd: string; env: Record<string, string>; timeoutMs?: number }): Promise<PyRun> {
  return new Promise((resolve) => {
    const child = spawn(requirePython(), args, { cwd: opts.cwd, env: { PATH: process.env.PATH ?? "", ...opts.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 300_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
