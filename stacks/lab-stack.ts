// Stack `lab`: resource group, Azure OpenAI account + deployment, Databricks workspace.
import { DatabricksWorkspace } from "@cdktf/provider-azurerm/lib/databricks-workspace";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { LabConfig } from "./config.ts";
import { OpenAiService } from "./constructs/openai-service.ts";

export { LAB_STACK } from "./stack-names.ts";

export class LabStack extends TerraformStack {
  readonly resourceGroup: ResourceGroup;
  readonly openai: OpenAiService;
  readonly workspace: DatabricksWorkspace;
  /** `https://adb-….azuredatabricks.net` */
  readonly workspaceUrl: string;

  constructor(scope: Construct, id: string, config: LabConfig) {
    super(scope, id);

    // subscription_id is left to the provider's own ARM_SUBSCRIPTION_ID lookup at plan time: synthesis
    // stays machine-independent, and a missing variable is reported at deploy (evallab preflight says how).
    new AzurermProvider(this, "azurerm", {
      features: [
        {
          cognitiveAccount: [{ purgeSoftDeleteOnDestroy: true }],
          databricksWorkspace: [{ forceDelete: true }],
          resourceGroup: [{ preventDeletionIfContainsResources: false }],
        },
      ],
    });

    const tags = config.allTags;
    this.resourceGroup = new ResourceGroup(this, "rg", {
      name: config.names.resourceGroup,
      location: config.region,
      tags,
    });

    this.openai = new OpenAiService(this, "openai", {
      accountName: config.names.openaiAccount,
      customSubdomainName: config.names.openaiSubdomain,
      resourceGroupName: this.resourceGroup.name,
      location: config.region,
      deploymentName: config.deploymentName,
      model: config.model,
      modelVersion: config.modelVersion,
      deploymentType: config.deploymentType,
      capacity: config.capacity,
      versionUpgradeOption: config.versionUpgradeOption,
      tags,
    });

    this.workspace = new DatabricksWorkspace(this, "databricks", {
      name: config.names.databricksWorkspace,
      resourceGroupName: this.resourceGroup.name,
      location: config.region,
      sku: config.databricksSku,
      // Named explicitly so `evallab down` can verify that Azure removed it too.
      managedResourceGroupName: config.names.managedResourceGroup,
      tags,
    });
    this.workspaceUrl = `https://${this.workspace.workspaceUrl}`;

    const out = (name: string, value: string, description: string, sensitive = false) => new TerraformOutput(this, name, { value, description, sensitive });
    out("openai_endpoint", this.openai.openaiEndpoint, "Azure OpenAI endpoint");
    out("openai_deployment", this.openai.deployment.name, "Chat model deployment name");
    out("openai_model", `${config.model} ${config.modelVersion} ${config.deploymentType}`, "Deployed model, version and deployment type");
    out("openai_api_version", config.apiVersion, "Azure OpenAI data-plane API version");
    out("openai_account_name", this.openai.account.name, "Azure OpenAI account (for purge checks)");
    out("openai_api_key", this.openai.account.primaryAccessKey, "Azure OpenAI key", true);
    out("region", this.resourceGroup.location, "Azure region of every lab resource");
    out("resource_group_name", this.resourceGroup.name, "Resource group holding the lab");
    out("workspace_url", this.workspaceUrl, "Databricks workspace URL");
    out("workspace_resource_id", this.workspace.id, "Databricks workspace resource id");
    out("managed_resource_group_name", config.names.managedResourceGroup, "Databricks managed resource group");
  }
}
