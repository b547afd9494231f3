// `evallab down`: parse the flags, hold the lock, run the down flow (scripts/lifecycle/down.ts), print its report.
import { labDown, renderDown } from "../lifecycle/down.ts";
import { withLock } from "../lock.ts";
import { type Command, EXIT, parseCommand } from "./command.ts";

const HELP = `usage: evallab down [--json]

Removes the lab: \`cdktf destroy\` of lab-teardown (if present), lab-databricks, then lab, then
verifies through Azure Resource Manager that the resource groups are gone (deleting any left behind),
that no soft-deleted OpenAI account of the lab remains (it purges one, so the name and quota are free
at once), and that the teardown's custom roles are gone. It finds the lab from .evallab/choices.json,
else from the Terraform state, else from the resource groups tagged lab=<prefix>. Harmless twice.
exit: 0 nothing left · 1 something remains (named, with the command that removes it)`;

export const downCommand: Command = {
  async run(argv, io) {
    const parsed = parseCommand("down", argv, { json: { type: "boolean" } }, io, HELP);
    if (!parsed) return EXIT.ok;
    const { values } = parsed;
    const report = await withLock(io.cwd, "down", () => labDown(io));
    io.out(values.json ? JSON.stringify(report, null, 2) : renderDown(report));
    return report.remaining.length ? EXIT.remains : EXIT.ok;
  },
};
