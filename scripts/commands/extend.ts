// `evallab extend 2h`: move the teardown's deadline and redeploy its parameter and the tags.
import { DATABRICKS_STACK, LAB_STACK, TEARDOWN_STACK } from "../../stacks/stack-names.ts";
import { durationMs, isoSeconds, labDeployed, writeChoices } from "../../stacks/config.ts";
import { runCdktf } from "../cdktf-runner.ts";
import { logPath } from "../lab-state.ts";
import { StepReporter } from "../step-reporter.ts";
import { type Command, EXIT, UsageError, parseCommand } from "./command.ts";
import { labConfig, terraformEnv } from "./lab-context.ts";
import { UpFailed, reportLifecycleError } from "./up.ts";

const HELP = `usage: evallab extend DURATION

Moves the lab's teardown deadline by DURATION (e.g. 90m, 2h, 1d) — from the current deadline, or from
now if it has passed — and redeploys the lab-teardown stack's deadline and the lab's expires-at tags.`;

export const extendCommand: Command = {
  async run(argv, io) {
    try {
      const parsed = parseCommand("extend", argv, {}, io, HELP, 1);
      if (!parsed) return EXIT.ok;
      const { positionals } = parsed;
      const by = durationMs(positionals[0] ?? "");
      if (positionals.length !== 1 || !Number.isFinite(by) || by <= 0) throw new UsageError("evallab extend: give one duration such as 90m, 2h or 1d");
      const config = labConfig(io, false);
      if (!config.deadline) throw new UsageError("evallab extend: this lab has no teardown (expiresIn: off); nothing to extend");
      if (!labDeployed(io.cwd)) throw new UsageError("evallab extend: the lab is not deployed here; `evallab up` sets a fresh deadline");
      const deadline = isoSeconds(Math.max(Date.now(), Date.parse(config.deadline)) + by);
      writeChoices(io.cwd, { deadline });
      const stacks = [LAB_STACK, DATABRICKS_STACK, TEARDOWN_STACK];
      const env = terraformEnv(io);
      const logFile = logPath(io.cwd, "extend");
      const ui = new StepReporter(io.isTTY, io.err);
      io.err(`moving the deadline from ${config.deadline} to ${deadline}…`);
      const r = await runCdktf(["deploy", ...stacks, "--auto-approve"], { cwd: io.cwd, env, logFile, stacks, onEvent: (e) => ui.onCdktf(e) });
      ui.stop();
      if (r.exitCode !== 0) {
        // The new deadline stays saved: the next `evallab up` or `extend` deploys it.
        throw new UpFailed(`redeploying the deadline failed; full log: ${logFile}`);
      }
      io.out(`The lab is now removed at ${deadline}.`);
      return EXIT.ok;
    } catch (e) {
      return reportLifecycleError(e, io);
    }
  },
};
