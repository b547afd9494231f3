// What the life-cycle commands share: the lab's configuration and Azure access, with setup errors
// turned into one clear message.
import { ConfigError, type LabConfig, loadConfig } from "../../stacks/config.ts";
import { ArmClient } from "../azure/arm-client.ts";
import { requireSubscription, subscriptionId } from "../azure/credentials.ts";
import type { Io } from "../commands/command.ts";
import { azureFacts } from "../preflight/azure-facts.ts";

export class LabSetupError extends Error {
  readonly exitCode = 2;
}

/** The configuration with the persisted decisions; reads only (decisions are recorded where they are made). */
export function labConfig(io: Io): LabConfig {
  try {
    return loadConfig({ rootDir: io.cwd, env: io.env });
  } catch (e) {
    if (e instanceof ConfigError) throw new LabSetupError(e.message);
    throw e;
  }
}

/** The environment for the cdktf CLI: the user's, plus the subscription azurerm needs, when known. */
export function terraformEnv(io: Io): NodeJS.ProcessEnv {
  const sub = subscriptionId(io.env);
  return sub ? { ...io.env, ARM_SUBSCRIPTION_ID: sub } : io.env;
}

export function azure(io: Io) {
  const subscriptionId = requireSubscription(io.env);
  const arm = ArmClient.fromEnv(io.env);
  return { subscriptionId, arm, facts: azureFacts(arm, subscriptionId) };
}
