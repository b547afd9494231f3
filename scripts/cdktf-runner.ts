// The cdktf CLI through execa: deploy, destroy and output, with CHECKPOINT_DISABLE=1 and the user's
// TERRAFORM_BINARY_NAME. Every line goes to a log file; the caller sees progress events instead of a
// wall of Terraform output. Outputs come back over a pipe (fd 3), so secrets never touch the disk.
import { appendFileSync, closeSync, constants, createWriteStream, mkdirSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { execa } from "execa";

const require_ = createRequire(import.meta.url);
/** The cdktf CLI this project pins (cdktf-cli's bin), run with the current Node. */
export function cdktfBin(): string {
  const pkg = require_.resolve("cdktf-cli/package.json");
  return join(dirname(pkg), "bundle", "bin", "cdktf");
}

export type ProgressEvent =
  | { type: "resource"; stack: string; resource: string; action: "creating" | "created" | "destroying" | "destroyed" | "modifying" | "modified"; elapsed?: string }
  | { type: "stack"; stack: string; status: "done"; summary: string };

const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g;
const RESOURCE = /^([\w-]+\.[\w-]+)(?: \([^)]*\))?: (Creating|Destroying|Modifying)\.\.\./;
const FINISHED = /^([\w-]+\.[\w-]+)(?: \([^)]*\))?: (Creation|Destruction|Modifications) complete after (\S+)/;

/**
 * Turns cdktf's Terraform output into progress events. cdktf prefixes a line with its stack name
 * ("lab  azurerm_resource_group.rg (rg): Creating...") and indents follow-on lines without it, so the
 * parser remembers the last stack it saw.
 */
export class LineParser {
  private stack = "";

  constructor(private readonly stacks: string[]) {}

  parse(raw: string): ProgressEvent | undefined {
    const line = raw.replace(ANSI, "").trimEnd();
    let text = line.trim();
    const first = text.split(/\s+/, 1)[0];
    if (this.stacks.includes(first) && /^\S+\s{2,}/.test(text)) {
      this.stack = first;
      text = text.slice(first.length).trim();
    } else if (!/^\s/.test(line)) {
      return undefined;
    }
    if (!this.stack) return undefined;
    let r: RegExpExecArray | null;
    if ((r = RESOURCE.exec(text))) {
      return { type: "resource", stack: this.stack, resource: r[1], action: r[2].toLowerCase() as "creating" | "destroying" | "modifying" };
    }
    if ((r = FINISHED.exec(text))) {
      const action = r[2] === "Creation" ? "created" : r[2] === "Destruction" ? "destroyed" : "modified";
      return { type: "resource", stack: this.stack, resource: r[1], action, elapsed: r[3] };
    }
    if (/^(Apply|Destroy) complete!/.test(text)) return { type: "stack", stack: this.stack, status: "done", summary: text };
    return undefined;
  }
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  logFile: string;
  onEvent?: (e: ProgressEvent) => void;
}

export interface RunResult {
  exitCode: number;
  /** All output, for error translation (never printed whole). */
  output: string;
}

function cdktfEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, CHECKPOINT_DISABLE: "1", CI: "1", FORCE_COLOR: "0", NO_COLOR: "1" };
}

export async function runCdktf(args: string[], opts: RunOptions & { stacks: string[] }): Promise<RunResult> {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const log = createWriteStream(opts.logFile, { flags: "a" });
  log.write(`$ cdktf ${args.join(" ")}\n`);
  const child = execa(process.execPath, [cdktfBin(), ...args], {
    cwd: opts.cwd,
    env: cdktfEnv(opts.env),
    extendEnv: false,
    all: true,
    reject: false,
    stdin: "ignore",
    buffer: { all: true },
  });
  let pending = "";
  const parser = new LineParser(opts.stacks);
  child.all?.on("data", (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    log.write(text);
    pending += text;
    const lines = pending.split(/\r?\n/);
    pending = lines.pop() ?? "";
    for (const l of lines) {
      const e = parser.parse(l);
      if (e) opts.onEvent?.(e);
    }
  });
  const result = await child;
  await new Promise<void>((r) => log.end(r));
  return { exitCode: result.exitCode ?? 1, output: String(result.all ?? "") };
}

export type StackOutputs = Record<string, Record<string, unknown>>;

/**
 * `cdktf output` for the stacks, sensitive values included, read into memory only: cdktf writes its
 * outputs file into a named pipe (FIFO) in a private folder, so the values pass through the kernel and
 * never land on disk. (Child pipes are sockets here, which /dev/fd/N cannot reopen.)
 */
export async function readOutputs(stacks: string[], opts: Omit<RunOptions, "onEvent">): Promise<StackOutputs | undefined> {
  const dir = mkdtempSync(join(tmpdir(), "evallab-out-"));
  const fifo = join(dir, "outputs.json");
  try {
    await execa("mkfifo", ["-m", "600", fifo]);
    let settled = false;
    const reading = readFile(fifo, "utf8").finally(() => {
      settled = true;
    });
    const result = await execa(
      process.execPath,
      [cdktfBin(), "output", ...stacks, "--outputs-file", fifo, "--outputs-file-include-sensitive-outputs"],
      { cwd: opts.cwd, env: cdktfEnv(opts.env), extendEnv: false, reject: false, stdin: "ignore", all: true },
    );
    if (!settled) {
      // cdktf never opened the pipe (it failed early): open it ourselves so the reader sees EOF.
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {}
    }
    const text = await reading;
    appendFileSync(opts.logFile, `$ cdktf output ${stacks.join(" ")} (exit ${result.exitCode})\n`);
    if (result.exitCode !== 0 || !text.trim()) return undefined;
    return JSON.parse(text) as StackOutputs;
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
