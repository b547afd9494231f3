// `evallab preflight`: parse the flags, hold the lock, run preflight (scripts/lifecycle/preflight.ts), print it.
import { labConfig } from "../lifecycle/context.ts";
import { preflight, renderPreflight } from "../lifecycle/preflight.ts";
import { withLock } from "../lock.ts";
import { type Command, EXIT, parseCommand } from "./command.ts";

const HELP = `usage: evallab preflight [--fix] [--json]

Checks, through Azure Resource Manager, that the lab can be deployed: you are signed in and the
subscription is enabled; Microsoft.CognitiveServices and Microsoft.Databricks are registered; in each
lab region the model can chat, is not retired (by date) and is offered as a deployment type with quota
for the capacity (auto: Standard, then DataZoneStandard, then GlobalStandard), and vCPU quota covers the
cluster; no soft-deleted OpenAI account holds the lab's name. When the lab's default model is retired it
moves to a successor (Azure's declared replacement, then LAB_FALLBACK_MODELS, then the newest chat
model); a model you set is never substituted. Then picks the region (the configured one if it passes,
else one drawn among the passing ones). Model, type and region are saved together, only on success.

  --fix    register missing providers and purge a soft-deleted account holding the name
  --json   machine-readable report
exit: 0 ready · 1 a check failed · 2 bad usage or not signed in`;

export const preflightCommand: Command = {
  async run(argv, io) {
    const parsed = parseCommand("preflight", argv, { fix: { type: "boolean" }, json: { type: "boolean" } }, io, HELP);
    if (!parsed) return EXIT.ok;
    const { values } = parsed;
    // Nothing is written while loading: preflight saves its decisions only when every check passes.
    const outcome = await withLock(io.cwd, "preflight", () => preflight(io, labConfig(io), Boolean(values.fix)));
    if (outcome.substituted) io.err(`note: ${outcome.substituted}`);
    const json = {
      ...outcome.report,
      region: outcome.region ?? null,
      chosenModel: outcome.model ?? null,
      substituted: outcome.substituted ?? null,
      error: outcome.error ?? null,
      fix: outcome.fix ?? null,
    };
    io.out(values.json ? JSON.stringify(json, null, 2) : renderPreflight(outcome));
    return outcome.error ? EXIT.remains : EXIT.ok;
  },
};
