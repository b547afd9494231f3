// The failures users hit when deploying the lab, each turned into one message with its fix.
import type { LabConfig } from "../stacks/config.ts";

export interface Translated {
  code: string;
  message: string;
  fix: string;
  /** Worth one automatic retry (a conflicting operation still settling). */
  retry?: boolean;
}

type Rule = { test: RegExp; make: (c: LabConfig, m: RegExpExecArray) => Omit<Translated, "code"> };

const RULES: [string, Rule][] = [
  [
    "MissingSubscription",
    {
      test: /subscription ID could not be determined|`subscription_id` is a required provider property/i,
      make: () => ({
        message: "Terraform's azurerm provider needs the subscription: ARM_SUBSCRIPTION_ID is not set.",
        fix: "export ARM_SUBSCRIPTION_ID=$(az account show --query id -o tsv), then run the command again",
      }),
    },
  ],
  [
    "NotSignedIn",
    {
      test: /Please run 'az login'|az login|AADSTS\d+|unable to build authorizer|obtain(ing)? (a )?(access )?token/i,
      make: () => ({
        message: "Not signed in to Azure.",
        fix: "run `az login` (or set ARM_CLIENT_ID, ARM_CLIENT_SECRET and ARM_TENANT_ID for a service principal)",
      }),
    },
  ],
  [
    "InsufficientQuota",
    {
      test: /InsufficientQuota/,
      make: (c) => ({
        message: `Not enough Azure OpenAI quota for ${c.model} (${c.capacity}K TPM) in ${c.region}.`,
        fix: `lower LAB_CAPACITY, free quota held by other deployments, or pick another region (evallab preflight shows which pass); more quota: https://aka.ms/oai/quotaincrease`,
      }),
    },
  ],
  [
    "ServiceModelDeprecated",
    {
      test: /ServiceModelDeprecated|DeploymentModelNotSupported|model .* (has been )?deprecated/i,
      make: (c) => ({
        message: `Azure no longer accepts new deployments of ${c.model} ${c.modelVersion} (retired; gpt-35-turbo stopped in November 2025).`,
        fix: "choose a current model, e.g. LAB_MODEL=gpt-4o-mini LAB_MODEL_VERSION=2024-07-18; `evallab preflight` lists the successors Azure reports",
      }),
    },
  ],
  [
    "SoftDeletedName",
    {
      test: /CustomDomainInUse|FlagMustBeSetForRestore|soft[- ]deleted/i,
      make: (c) => ({
        message: `A soft-deleted Azure OpenAI account still holds the name ${c.names.openaiAccount} (Azure keeps it 48 hours).`,
        fix: "run `evallab preflight --fix` to purge it, then `evallab up` again",
      }),
    },
  ],
  [
    "CoreQuotaExceeded",
    {
      test: /QuotaExceeded|exceeding approved .*cores quota|Operation could not be completed as it results in exceeding approved/i,
      make: (c) => ({
        message: `Not enough vCPU quota for the cluster's ${c.nodeType} in ${c.region}.`,
        fix: "request more vCPUs for that VM family (Azure portal > Quotas), choose another LAB_NODE_TYPE, or another region",
      }),
    },
  ],
  [
    "RequestConflict",
    {
      test: /RequestConflict|AnotherOperationInProgress/,
      make: () => ({
        message: "Azure was still busy with an earlier operation on the same resource.",
        fix: "it is retried automatically; if it persists, wait a minute and run the command again",
        retry: true,
      }),
    },
  ],
];

/** The first known failure in the CLI's output, or undefined. */
export function translateDeployError(output: string, config: LabConfig): Translated | undefined {
  for (const [code, rule] of RULES) {
    const m = rule.test.exec(output);
    if (m) return { code, ...rule.make(config, m) };
  }
  return undefined;
}
