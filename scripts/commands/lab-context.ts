// What the life-cycle commands share: the lab's configuration and Azure access, with setup errors
// turned into one clear message.
import { ConfigError, type LabConfig, loadConfig } from "../../stacks/config.ts";
import { ArmClient } from "../azure/arm-client.ts";
import { requireSubscription } from "../azure/credentials.ts";
import { azureFacts } from "../preflight/azure-facts.ts";
import type { Io } from "./command.ts";

export class LabSetupError extends Error {}

export function labConfig(io: Io, persist = true): LabConfig {
  try {
    return loadConfig({ rootDir: io.cwd, env: io.env, persist });
  } catch (e) {
    if (e instanceof ConfigError) throw new LabSetupError(e.message);
    throw e;
  }
}

export function azure(io: Io) {
  const subscriptionId = requireSubscription(io.env);
  const arm = ArmClient.fromEnv(io.env);
  return { subscriptionId, arm, facts: azureFacts(arm, subscriptionId) };
}
