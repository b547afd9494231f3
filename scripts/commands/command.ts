// What every subcommand shares: its shape, the process streams it writes to, exit codes, flag parsing.
import { type ParseArgsConfig, parseArgs } from "node:util";

export const EXIT = { ok: 0, failedRows: 1, usage: 2, setup: 2, remains: 1 } as const;

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** stderr is a terminal (progress lines only then). */
  isTTY: boolean;
  /** Standard input, read whole (for secrets passed by pipe, never on the command line). */
  readStdin?: () => Promise<string>;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = "";
  for await (const chunk of stream) text += chunk.toString();
  return text;
}

export function defaultIo(): Io {
  return {
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    env: process.env,
    cwd: process.cwd(),
    isTTY: Boolean(process.stderr.isTTY),
    readStdin: () => readAll(process.stdin),
  };
}

export interface Command {
  run(argv: string[], io: Io): Promise<number>;
}

/**
 * The one exit policy. Every error a command expects carries its exit code (`exitCode`): 1 something
 * failed or remains, 2 bad input or setup, 130 interrupted. Anything without one is a bug and is thrown.
 */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.remains,
  ) {
    super(message);
  }
}

export class UsageError extends Error {
  readonly exitCode = EXIT.usage;
}

export function exitCodeOf(e: unknown): number | undefined {
  const code = (e as { exitCode?: unknown } | null)?.exitCode;
  return typeof code === "number" ? code : undefined;
}

/** Print an expected error as one line (an interruption as its own message) and return its exit code. */
export function reportError(e: unknown, io: Io): number {
  const code = exitCodeOf(e);
  if (code === undefined) throw e;
  io.err(code === 130 ? `\n${(e as Error).message}` : `error: ${(e as Error).message}`);
  return code;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs with errors that name the flag and point at --help. */
export function parseFlags<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`evallab ${command}: ${(e as Error).message.replace(/\. To specify.*$/, "")}; see \`evallab ${command} --help\``);
  }
}

export function positiveInt(command: string, flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`evallab ${command}: ${flag} must be a whole number ≥ 1, got "${raw}"`);
  return n;
}

/**
 * Parse a command's flags; prints its help and returns undefined for --help; rejects more than
 * `maxPositionals` bare arguments with a usage error.
 */
export function parseCommand<O extends Options>(command: string, argv: string[], options: O, io: Io, help: string, maxPositionals = 0) {
  const parsed = parseFlags(command, argv, options);
  if ((parsed.values as { help?: boolean }).help) {
    io.out(help);
    return undefined;
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UsageError(`evallab ${command}: unexpected argument "${parsed.positionals[maxPositionals]}"; see \`evallab ${command} --help\``);
  }
  return parsed;
}
