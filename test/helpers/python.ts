// The Python side of the tests: the venv made by test/python-env.sh (npm test runs it first), and an
// offline tiktoken cache for MLflow's token_count.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ranks from "js-tiktoken/ranks/cl100k_base";
import { REPO_ROOT } from "./tmp.ts";

export const VENV_PYTHON = join(REPO_ROOT, ".venv", "bin", "python");

export function requirePython(): string {
  if (!existsSync(VENV_PYTHON)) throw new Error("no .venv: run `bash test/python-env.sh` (npm test does it first)");
  return VENV_PYTHON;
}

const CL100K_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken";

/**
 * tiktoken downloads cl100k_base on first use (no network here). js-tiktoken ships the same ranks;
 * written back in tiktoken's format they are byte-identical (tiktoken checks the file's sha256).
 */
export function tiktokenCache(dir: string): string {
  const entries: [string, number][] = [];
  for (const line of ranks.bpe_ranks.split("\n").filter(Boolean)) {
    const [, offset, ...tokens] = line.split(" ");
    tokens.forEach((t, i) => entries.push([t, Number(offset) + i]));
  }
  entries.sort((a, b) => a[1] - b[1]);
  mkdirSync(dir, { recursive: true });
  const key = createHash("sha1").update(CL100K_URL).digest("hex");
  writeFileSync(join(dir, key), entries.map(([t, r]) => `${t} ${r}\n`).join(""));
  return dir;
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
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 180_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
