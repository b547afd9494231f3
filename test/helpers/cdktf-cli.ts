// Runs the real cdktf CLI against this repo's app from a temp working folder (its own lab.config.json,
// .evallab/ and cdktf.out), so tests never touch the checkout's state.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO_ROOT, tempDir } from "./tmp.ts";

export const CDKTF_BIN = join(REPO_ROOT, "node_modules", ".bin", "cdktf");
const TSX_BIN = join(REPO_ROOT, "node_modules", ".bin", "tsx");

export function labWorkdir(): string {
  const dir = tempDir("evallab-cli-");
  writeFileSync(join(dir, "cdktf.json"), JSON.stringify({ language: "typescript", app: `${TSX_BIN} ${join(REPO_ROOT, "main.ts")}`, terraformProviders: [] }));
  return dir;
}

export function runCdktf(args: string[], opts: { cwd: string; env?: Record<string, string> }) {
  const r = spawnSync(CDKTF_BIN, args, {
    cwd: opts.cwd,
    env: { ...process.env, CHECKPOINT_DISABLE: "1", CI: "1", FORCE_COLOR: "0", ...opts.env },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, output: `${r.stdout}\n${r.stderr}` };
}
