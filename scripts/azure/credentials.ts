// Who we are on Azure: a bearer token for a resource and the subscription, from the same sources as
// the Azure CLI and Terraform (LAB_ARM_TOKEN for tests and sovereign clouds, else @azure/identity).
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export class AzureAuthError extends Error {
  readonly exitCode = 2;
}

export type TokenSource = (scope: string) => Promise<string>;

/** Bearer tokens: LAB_ARM_TOKEN when set (any scope), else DefaultAzureCredential (CLI login, ARM_* or AZURE_* service principal, managed identity). */
export function tokenSource(env: NodeJS.ProcessEnv): TokenSource {
  if (env.LAB_ARM_TOKEN) return async () => env.LAB_ARM_TOKEN as string;
  let credential: import("@azure/identity").TokenCredential | undefined;
  return async (scope) => {
    if (!credential) {
      // Terraform's ARM_* service-principal variables are honoured as the AZURE_* ones identity reads.
      for (const [from, to] of [
        ["ARM_CLIENT_ID", "AZURE_CLIENT_ID"],
        ["ARM_CLIENT_SECRET", "AZURE_CLIENT_SECRET"],
        ["ARM_TENANT_ID", "AZURE_TENANT_ID"],
      ]) {
        if (env[from] && !env[to]) process.env[to] = env[from];
      }
      const { DefaultAzureCredential } = await import("@azure/identity");
      credential = new DefaultAzureCredential();
    }
    try {
      const token = await credential.getToken(scope);
      if (!token) throw new Error("no token");
      return token.token;
    } catch (e) {
      throw new AzureAuthError(
        `Not signed in to Azure (${(e as Error).message.split("\n")[0].slice(0, 160)}). Run \`az login\`, or set ` +
          "ARM_CLIENT_ID, ARM_CLIENT_SECRET and ARM_TENANT_ID for a service principal.",
      );
    }
  };
}

export const ARM_SCOPE = "https://management.azure.com/.default";

export function armEndpoint(env: NodeJS.ProcessEnv): string {
  return (env.LAB_ARM_ENDPOINT || "https://management.azure.com").replace(/\/+$/, "");
}

/** ARM_SUBSCRIPTION_ID, else the Azure CLI's default subscription (~/.azure/azureProfile.json). */
export function subscriptionId(env: NodeJS.ProcessEnv): string | undefined {
  if (env.ARM_SUBSCRIPTION_ID) return env.ARM_SUBSCRIPTION_ID;
  const profile = join(env.AZURE_CONFIG_DIR || join(homedir(), ".azure"), "azureProfile.json");
  if (!existsSync(profile)) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(profile, "utf8").replace(/^\ufeff/, "")) as { subscriptions?: { id: string; isDefault?: boolean }[] };
    return parsed.subscriptions?.find((s) => s.isDefault)?.id;
  } catch {
    return undefined;
  }
}

export function requireSubscription(env: NodeJS.ProcessEnv): string {
  const id = subscriptionId(env);
  if (!id) {
    throw new AzureAuthError(
      "No Azure subscription: set ARM_SUBSCRIPTION_ID (e.g. `export ARM_SUBSCRIPTION_ID=$(az account show --query id -o tsv)`) or choose a default with `az account set`.",
    );
  }
  return id;
}
