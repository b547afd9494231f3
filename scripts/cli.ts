// The `evallab` command: a table of subcommands; each parses its own flags and calls into modules.
import { evalCommand } from "./commands/eval.ts";
import { extendCommand } from "./commands/extend.ts";
import { compareCommand } from "./commands/compare.ts";
import { downCommand } from "./commands/down.ts";
import { labCommand } from "./commands/lab.ts";
import { preflightCommand } from "./commands/preflight.ts";
import { statusCommand } from "./commands/status.ts";
import { upCommand } from "./commands/up.ts";
import { EXIT, type Command, type Io, defaultIo } from "./commands/command.ts";

const COMMANDS: Record<string, Command> = {
  lab: labCommand,
  preflight: preflightCommand,
  up: upCommand,
  status: statusCommand,
  extend: extendCommand,
  eval: evalCommand,
  compare: compareCommand,
  down: downCommand,
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    "usage: evallab <command> [options]",
    "",
    "commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "`evallab <command> --help` for a command's options.",
  ].join("\n");
}

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.out(usage());
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`evallab: unknown command "${name}"\n\n${usage()}`);
    return EXIT.usage;
  }
  return command.run(rest, io);
}
