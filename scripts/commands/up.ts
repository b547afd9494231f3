// `evallab up`: parse the flags, hold the lock, run the up flow (scripts/lifecycle/up.ts).
import { labUp } from "../lifecycle/up.ts";
import { withLock } from "../lock.ts";
import { type Command, EXIT, parseCommand } from "./command.ts";

const HELP = `usage: evallab up [--skip-preflight] [--no-wait]

Stands up the lab: preflight (quota, models, providers; picks the region), then
\`cdktf deploy lab lab-databricks lab-teardown --auto-approve\` (no lab-teardown with expiresIn: off),
then waits until the cluster is RUNNING and its
libraries are INSTALLED. Prints the endpoints, the running cost per hour and the \`down\` command.
The full Terraform log is kept under .evallab/logs/ (its path is printed on failure).

  --skip-preflight   deploy without the ARM checks (the region must already be chosen)
  --no-wait          do not wait for the cluster
needs: \`az login\` (or ARM_* service principal variables) and ARM_SUBSCRIPTION_ID or a default subscription`;

export const upCommand: Command = {
  async run(argv, io) {
    const parsed = parseCommand("up", argv, { "skip-preflight": { type: "boolean" }, "no-wait": { type: "boolean" } }, io, HELP);
    if (!parsed) return EXIT.ok;
    const { values } = parsed;
    await withLock(io.cwd, "up", () => labUp(io, { skipPreflight: values["skip-preflight"], wait: !values["no-wait"] }));
    return EXIT.ok;
  },
};
