// The `evallab` command: a table of subcommands; each parses its own flags and calls into modules.
import { type Command, defaultIo, EXIT, type Io, reportError } from "./commands/command.ts";

/** Commands load on demand: `evallab eval` never pays for the deploy tooling, and vice versa. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  lab: { summary: "up + evaluate the new deployment (+ --down)", load: async () => (await import("./commands/lab.ts")).labCommand },
  preflight: { summary: "check quota, models and providers; pick the region", load: async () => (await import("./commands/preflight.ts")).preflightCommand },
  up: { summary: "preflight, deploy the lab, wait for the cluster", load: async () => (await import("./commands/up.ts")).upCommand },
  status: { summary: "is the lab up, where, since when, at what cost", load: async () => (await import("./commands/status.ts")).statusCommand },
  extend: { summary: "move the teardown deadline (e.g. extend 2h)", load: async () => (await import("./commands/extend.ts")).extendCommand },
  eval: { summary: "evaluate a deployment (or an answer column) with MLflow's QA metrics", load: async () => (await import("./commands/eval.ts")).evalCommand },
  report: { summary: "write a run folder's report.html", load: async () => (await import("./commands/report.ts")).reportCommand },
  compare: { summary: "two or more runs side by side (terminal and compare.html)", load: async () => (await import("./commands/compare.ts")).compareCommand },
  down: { summary: "destroy the lab and verify nothing is left", load: async () => (await import("./commands/down.ts")).downCommand },
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
  // The one exit policy: whatever a command throws is printed and mapped here (commands/command.ts).
  try {
    return await (await command.load()).run(rest, io);
  } catch (e) {
    return reportError(e, io);
  }
}
