// Stack `lab-teardown`: a Consumption Logic App in its own resource group that removes the lab at its
// deadline, even when nobody runs `destroy`. Least privilege through two custom roles:
//  - "deleter" (read + delete of a resource group and what it holds), assigned on the lab's group and
//    on the teardown's own group only: enough to delete exactly those two groups;
//  - "purger" (read + delete of soft-deleted Cognitive Services accounts, read of resource groups),
//    assigned on the subscription, because soft-deleted accounts live at subscription level (no
//    narrower scope exists before the account is deleted, and role conditions do not cover these
//    actions) and a vanished group can only be confirmed gone (404, not 403) with read above it.
// Both role definitions and the purger's subscription-wide assignment outlive the Logic App when it
// removes itself; `evallab down` removes them (Terraform, then a check through ARM).
import { DataAzurermSubscription } from "@cdktf/provider-azurerm/lib/data-azurerm-subscription";
import { LogicAppActionCustom } from "@cdktf/provider-azurerm/lib/logic-app-action-custom";
import { LogicAppTriggerCustom } from "@cdktf/provider-azurerm/lib/logic-app-trigger-custom";
import { LogicAppWorkflow } from "@cdktf/provider-azurerm/lib/logic-app-workflow";
import { AzurermProvider } from "@cdktf/provider-azurerm/lib/provider";
import { ResourceGroup } from "@cdktf/provider-azurerm/lib/resource-group";
import { RoleAssignment } from "@cdktf/provider-azurerm/lib/role-assignment";
import { RoleDefinition } from "@cdktf/provider-azurerm/lib/role-definition";
import { TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import type { LabConfig } from "./config.ts";
import { CHECK_DEADLINE, TRIGGER_NAME, teardownAction, teardownTrigger } from "./teardown/workflow.ts";

export { TEARDOWN_STACK } from "./stack-names.ts";

export const DELETER_ACTIONS = ["Microsoft.Resources/subscriptions/resourceGroups/read", "Microsoft.Resources/subscriptions/resourceGroups/delete", "*/delete"];
// Never locks or role assignments: a lock must stop the teardown (visibly), not be removed by it.
// Deleting a group that holds role assignments needs no Authorization rights (as for the built-in
// Contributor, whose notActions exclude Microsoft.Authorization deletes and writes).
export const DELETER_NOT_ACTIONS = ["Microsoft.Authorization/*"];
export const PURGER_ACTIONS = [
  "Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts/read",
  "Microsoft.CognitiveServices/locations/resourceGroups/deletedAccounts/delete",
  "Microsoft.Resources/subscriptions/resourceGroups/read",
];

export class TeardownStack extends TerraformStack {
  readonly workflow: LogicAppWorkflow;

  constructor(scope: Construct, id: string, config: LabConfig & { deadline: string }) {
    super(scope, id);
    new AzurermProvider(this, "azurerm", { features: [{}] });
    const subscription = new DataAzurermSubscription(this, "current", {});
    const { names } = config;

    const group = new ResourceGroup(this, "rg", { name: names.teardownGroup, location: config.region, tags: config.allTags });

    this.workflow = new LogicAppWorkflow(this, "workflow", {
      name: names.teardownWorkflow,
      location: config.region,
      resourceGroupName: group.name,
      identity: { type: "SystemAssigned" },
      workflowParameters: { deadline: JSON.stringify({ type: "String" }) },
      parameters: { deadline: config.deadline },
      tags: config.allTags,
    });
    // A custom trigger: the recurrence resource cannot set the one-run-at-a-time concurrency.
    new LogicAppTriggerCustom(this, "every-15-minutes", {
      name: TRIGGER_NAME,
      logicAppId: this.workflow.id,
      body: JSON.stringify(teardownTrigger()),
    });
    new LogicAppActionCustom(this, "check-deadline", {
      name: CHECK_DEADLINE,
      logicAppId: this.workflow.id,
      body: JSON.stringify(
        teardownAction({
          subscriptionId: subscription.subscriptionId,
          region: config.region,
          labGroup: names.resourceGroup,
          managedGroup: names.managedResourceGroup,
          teardownGroup: names.teardownGroup,
          openaiAccount: names.openaiAccount,
        }),
      ),
    });

    const labGroupId = `${subscription.id}/resourceGroups/${names.resourceGroup}`;
    const deleter = new RoleDefinition(this, "deleter", {
      name: `${config.prefix}-${config.suffix}-teardown-deleter`,
      description: "Delete the lab's resource group and the teardown's own group (evallab lab-teardown)",
      scope: subscription.id,
      assignableScopes: [labGroupId, group.id],
      permissions: [{ actions: DELETER_ACTIONS, notActions: DELETER_NOT_ACTIONS }],
    });
    const purger = new RoleDefinition(this, "purger", {
      name: `${config.prefix}-${config.suffix}-teardown-purger`,
      description: "Purge the lab's soft-deleted Azure OpenAI account and confirm groups are gone (evallab lab-teardown)",
      scope: subscription.id,
      assignableScopes: [subscription.id],
      permissions: [{ actions: PURGER_ACTIONS, notActions: [] }],
    });
    const principalId = this.workflow.identity.principalId;
    const assign = (id: string, scope: string, role: RoleDefinition) =>
      new RoleAssignment(this, id, { scope, roleDefinitionId: role.roleDefinitionResourceId, principalId, principalType: "ServicePrincipal" });
    assign("deleter-on-lab", labGroupId, deleter);
    assign("deleter-on-teardown", group.id, deleter);
    assign("purger-on-subscription", subscription.id, purger);

    new TerraformOutput(this, "deadline", { value: config.deadline, description: "When the lab is removed (UTC)" });
    new TerraformOutput(this, "workflow_id", { value: this.workflow.id, description: "The teardown Logic App" });
    new TerraformOutput(this, "teardown_group", { value: group.name, description: "The teardown's own resource group" });
  }
}
