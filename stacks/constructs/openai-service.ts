// An Azure OpenAI account (S0, key auth, custom subdomain) with one chat-model deployment.
import { CognitiveAccount } from "@cdktf/provider-azurerm/lib/cognitive-account";
import { CognitiveDeployment } from "@cdktf/provider-azurerm/lib/cognitive-deployment";
import { Construct } from "constructs";

export interface OpenAiServiceProps {
  /** Account name (regional resource). */
  readonly accountName: string;
  /** Global DNS label: `https://<subdomain>.openai.azure.com/`. */
  readonly customSubdomainName: string;
  readonly resourceGroupName: string;
  readonly location: string;
  readonly deploymentName: string;
  readonly model: string;
  readonly modelVersion: string;
  /** Deployment type (SKU): regional `Standard`, `DataZoneStandard` or `GlobalStandard`. */
  readonly deploymentType: string;
  /** Thousands of tokens per minute. */
  readonly capacity: number;
  readonly versionUpgradeOption: string;
  /** Content filter policy; Azure's default one unless set. */
  readonly raiPolicyName?: string;
  readonly tags: Record<string, string>;
}

export class OpenAiService extends Construct {
  readonly account: CognitiveAccount;
  readonly deployment: CognitiveDeployment;
  /**
   * `https://<subdomain>.openai.azure.com/`: built from the custom subdomain, not read from the account,
   * because an account upgraded to Foundry reports its `cognitiveservices.azure.com` endpoint instead
   * while the OpenAI one keeps serving.
   */
  readonly openaiEndpoint: string;

  constructor(scope: Construct, id: string, props: OpenAiServiceProps) {
    super(scope, id);
    const raiPolicyName = props.raiPolicyName ?? "Microsoft.DefaultV2";

    this.account = new CognitiveAccount(this, "account", {
      name: props.accountName,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      kind: "OpenAI",
      skuName: "S0",
      customSubdomainName: props.customSubdomainName,
      // The lab authenticates with keys (the notebook and the seed read AZURE_OPENAI_API_KEY).
      localAuthEnabled: true,
      tags: props.tags,
      // Azure is upgrading `kind = OpenAI` accounts to Foundry (`AIServices`, which also turns on
      // `allowProjectManagement`). Both attributes force a new account in azurerm, so without this a later
      // `up`/`extend` after the upgrade would destroy the account, its key and its deployment.
      // (learn.microsoft.com/azure/ai-foundry/how-to/upgrade-azure-openai; azurerm issue #31044)
      lifecycle: { ignoreChanges: ["kind", "project_management_enabled"] },
    });
    this.openaiEndpoint = `https://${props.customSubdomainName}.openai.azure.com/`;

    this.deployment = new CognitiveDeployment(this, "deployment", {
      name: props.deploymentName,
      cognitiveAccountId: this.account.id,
      model: { format: "OpenAI", name: props.model, version: props.modelVersion },
      sku: { name: props.deploymentType, capacity: props.capacity },
      versionUpgradeOption: props.versionUpgradeOption,
      // Dynamic quota off: the lab's rate limit stays the capacity it asked for.
      dynamicThrottlingEnabled: false,
      raiPolicyName,
    });
  }
}
