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
  /** Thousands of tokens per minute on the Standard SKU. */
  readonly capacity: number;
  readonly versionUpgradeOption: string;
  /** Content filter policy; Azure's default one unless set. */
  readonly raiPolicyName?: string;
  readonly tags: Record<string, string>;
}

export class OpenAiService extends Construct {
  readonly account: CognitiveAccount;
  readonly deployment: CognitiveDeployment;

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
    });

    this.deployment = new CognitiveDeployment(this, "deployment", {
      name: props.deploymentName,
      cognitiveAccountId: this.account.id,
      model: { format: "OpenAI", name: props.model, version: props.modelVersion },
      sku: { name: "Standard", capacity: props.capacity },
      versionUpgradeOption: props.versionUpgradeOption,
      // Dynamic quota off: the lab's rate limit stays the capacity it asked for.
      dynamicThrottlingEnabled: false,
      raiPolicyName,
    });
  }
}
