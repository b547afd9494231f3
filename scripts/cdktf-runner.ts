// The cdktf CLI through execa: deploy, destroy and output, with CHECKPOINT_DISABLE=1 and the user's
// TERRAFORM_BINARY_NAME. Every line goes to a log file; the caller sees progress events instead of a
// wall of Terraform output. Outputs come back over a pipe (fd 3), so secrets never touch the disk.
import { chmodSync, closeSync, constants, createWriteStream, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa } from "execa";

const require_ = createRequire(import.meta.url);
/** The cdktf CLI this project pins (cdktf-cli's bin), run with the current Node. */
export function cdktfBin(): string {
  const pkg = require_.resolve("cdktf-cli/package.json");
  return join(dirname(pkg), "bundle", "bin", "cdktf");
}

export type ProgressEvent =
  | {
      type: "resource";
      stack: string;
      resource: string;
      action: "creating" | "created" | "destroying" | "destroyed" | "modifying" | "modified";
      elapsed?: string;
    }
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
  /** Stopped by Ctrl-C / SIGTERM (forwarded to terraform, which saved its state first). */
  interrupted?: "SIGINT" | "SIGTERM";
}

function cdktfEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, CHECKPOINT_DISABLE: "1", CI: "1", FORCE_COLOR: "0", NO_COLOR: "1" };
}

/**
 * The state files hold secrets in plain text (the OpenAI key, the secret scope's value): owner-only.
 * The child already runs under umask 077; this also fixes files an earlier run or a plain
 * `cdktf deploy` left world-readable.
 */
export function secureStateFiles(rootDir: string): void {
  for (const f of readdirSync(rootDir)) if (/^terraform\..+\.tfstate(\.backup)?$/.test(f)) chmodSync(join(rootDir, f), 0o600);
}

/** A private log folder and an owner-only log file (logs can hold resource ids and Terraform's errors). */
export function openLog(logFile: string) {
  mkdirSync(dirname(logFile), { recursive: true, mode: 0o700 });
  return createWriteStream(logFile, { flags: "a", mode: 0o600 });
}

/** `umask 077` for the child: every file terraform writes (state, backups) is created owner-only. */
const PRIVATE = ["-c", 'umask 077 && exec "$0" "$@"'];

/** Every process below `pid` (from /proc; Linux and WSL, where the lab runs). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  for (const e of entries) {
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after its ")".
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {}
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

const kill = (pid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(pid, signal);
  } catch {}
};

/**
 * Ctrl-C and SIGTERM while the CLI runs. cdktf runs terraform in a pseudo-terminal (its own session)
 * and, when it is itself interrupted, aborts and kills terraform before it can save its state. So the
 * child runs in its own process group (the terminal's signal reaches only us) and the first signal goes
 * to cdktf's descendants — terraform finishes what is in flight, writes its state and exits, and cdktf
 * then fails on its own. A second signal forces everything (SIGKILL).
 */
function forwardSignals(pid: number | undefined, onSignal: (s: "SIGINT" | "SIGTERM") => void): () => void {
  let count = 0;
  const handler = (signal: "SIGINT" | "SIGTERM") => {
    count++;
    onSignal(signal);
    if (pid === undefined) return;
    if (count === 1) {
      for (const d of descendants(pid)) kill(d, "SIGINT");
      return;
    }
    for (const d of descendants(pid)) kill(d, "SIGKILL");
    kill(-pid, "SIGKILL");
  };
  const onInt = () => handler("SIGINT");
  const onTerm = () => handler("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return () => {
    process.off("SIGINT", onInt);
    process.off("SIGTERM", onTerm);
  };
}

/** Wait until the child's whole tree is gone (terraform may outlive cdktf by a moment). */
async function treeGone(pid: number | undefined, tree: number[], timeoutMs = 60_000): Promise<void> {
  if (pid === undefined) return;
  const until = Date.now() + timeoutMs;
  const alive = (p: number) => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (Date.now() < until && [pid, ...tree].some(alive)) await new Promise((r) => setTimeout(r, 100));
}

export async function runCdktf(args: string[], opts: RunOptions & { stacks: string[] }): Promise<RunResult> {
  const log = openLog(opts.logFile);
  log.write(`$ cdktf ${args.join(" ")}\n`);
  const child = execa("/bin/sh", [...PRIVATE, process.execPath, cdktfBin(), ...args], {
    cwd: opts.cwd,
    env: cdktfEnv(opts.env),
    extendEnv: false,
    all: true,
    reject: false,
    stdin: "ignore",
    buffer: { all: true },
    detached: true, // its own process group: see forwardSignals
  });
  let interrupted: RunResult["interrupted"];
  let tree: number[] = [];
  const stopForwarding = forwardSignals(child.pid, (s) => {
    interrupted ??= s;
    if (child.pid !== undefined) tree = descendants(child.pid);
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
  try {
    const result = await child;
    if (interrupted) await treeGone(child.pid, tree);
    return { exitCode: result.exitCode ?? 1, output: String(result.all ?? ""), interrupted };
  } finally {
    stopForwarding();
    await new Promise<void>((r) => log.end(r));
    secureStateFiles(opts.cwd);
  }
}

export class OutputsError extends Error {
  readonly exitCode = 1;
}

export type StackOutputs = Record<string, Record<string, unknown>>;

/**
 * `cdktf output` for the stacks, sensitive values included, read into memory only: cdktf writes its
 * outputs file into a named pipe (FIFO) in a private folder, so the values pass through the kernel and
 * never land on disk. (Child pipes are sockets here, which /dev/fd/N cannot reopen.)
 */
/**
 * The stacks' outputs, secrets included, through a named pipe into memory. `synthesized`: cdktf.out is
 * the app as just deployed, so cdktf need not synthesize it again (a few seconds saved).
 */
export async function readOutputs(stacks: string[], opts: Omit<RunOptions, "onEvent"> & { synthesized?: boolean }): Promise<StackOutputs> {
  const dir = mkdtempSync(join(tmpdir(), "evallab-out-"));
  const fifo = join(dir, "outputs.json");
  try {
    await execa("mkfifo", ["-m", "600", fifo]);
    let settled = false;
    const reading = readFile(fifo, "utf8").finally(() => {
      settled = true;
    });
    const result = await execa(
      "/bin/sh",
      [
        ...PRIVATE,
        process.execPath,
        cdktfBin(),
        "output",
        ...stacks,
        "--outputs-file",
        fifo,
        "--outputs-file-include-sensitive-outputs",
        ...(opts.synthesized ? ["--skip-synth"] : []),
      ],
      { cwd: opts.cwd, env: cdktfEnv(opts.env), extendEnv: false, reject: false, stdin: "ignore", all: true },
    );
    if (!settled) {
      // cdktf never opened the pipe (it failed early): open it ourselves so the reader sees EOF.
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      } catch {}
    }
    const text = await reading;
    const log = openLog(opts.logFile);
    log.write(`$ cdktf output ${stacks.join(" ")} (exit ${result.exitCode})\n${result.exitCode === 0 ? "" : `${String(result.all ?? "")}\n`}`);
    await new Promise<void>((r) => log.end(r));
    if (result.exitCode !== 0 || !text.trim()) {
      throw new OutputsError(`\`cdktf output\` failed (exit ${result.exitCode}); see ${opts.logFile}`);
    }
    try {
      return JSON.parse(text) as StackOutputs;
    } catch {
      throw new OutputsError(`\`cdktf output\` wrote something that is not JSON; see ${opts.logFile}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
