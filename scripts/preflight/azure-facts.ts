// What ARM reports that preflight judges: typed reads of subscriptions, providers, models, quotas, SKUs.

import { API } from "../azure/api-versions.ts";
import type { ArmClient } from "../azure/arm-client.ts";

export interface Subscription {
  subscriptionId: string;
  displayName?: string;
  state: string;
}

export interface AccountModel {
  kind?: string;
  skuName?: string;
  model: {
    format?: string;
    name: string;
    version: string;
    lifecycleStatus?: string;
    isDefaultVersion?: boolean;
    /** String flags such as `{"chatCompletion": "true"}` or `{"embeddings": "true"}`. */
    capabilities?: Record<string, string>;
    deprecation?: { fineTune?: string; inference?: string };
    skus?: { name: string; usageName?: string; deprecationDate?: string }[];
    replacementConfig?: { targetModelName?: string; targetModelVersion?: string };
  };
}

export interface Usage {
  name: { value: string; localizedValue?: string };
  currentValue: number;
  limit: number;
}

export interface ComputeSku {
  resourceType: string;
  name: string;
  family?: string;
  locations?: string[];
  capabilities?: { name: string; value: string }[];
  restrictions?: { type: string; reasonCode?: string; values?: string[] }[];
}

export interface RoleDefinition {
  id: string;
  name: string;
  properties: { roleName: string; type?: string };
}

export interface RoleAssignment {
  id: string;
  properties: { roleDefinitionId: string; scope: string; principalId?: string };
}

export interface WorkflowRun {
  name: string;
  properties: { status: string; startTime?: string; endTime?: string; code?: string; error?: { message?: string } };
}

export interface DeletedAccount {
  id: string;
  name: string;
  location: string;
}

const sub = (id: string) => `/subscriptions/${id}`;

export const azureFacts = (arm: ArmClient, subscriptionId: string) => ({
  subscription: () => arm.get<Subscription>(sub(subscriptionId), API.subscriptions),
  provider: (ns: string) => arm.get<{ namespace: string; registrationState: string }>(`${sub(subscriptionId)}/providers/${ns}`, API.providers),
  registerProvider: (ns: string) => arm.post<{ registrationState?: string }>(`${sub(subscriptionId)}/providers/${ns}/register`, API.providers),
  models: (region: string) => arm.list<AccountModel>(`${sub(subscriptionId)}/providers/Microsoft.CognitiveServices/locations/${region}/models`, API.cognitive),
  openAiUsages: (region: string) => arm.list<Usage>(`${sub(subscriptionId)}/providers/Microsoft.CognitiveServices/locations/${region}/usages`, API.cognitive),
  computeUsages: (region: string) => arm.list<Usage>(`${sub(subscriptionId)}/providers/Microsoft.Compute/locations/${region}/usages`, API.computeUsages),
  computeSkus: (region: string) =>
    arm.list<ComputeSku>(`${sub(subscriptionId)}/providers/Microsoft.Compute/skus`, API.computeSkus, { $filter: `location eq '${region}'` }),
  deletedAccounts: () => arm.list<DeletedAccount>(`${sub(subscriptionId)}/providers/Microsoft.CognitiveServices/deletedAccounts`, API.cognitive),
  purgeDeleted: (account: DeletedAccount) => arm.delete(account.id, API.cognitive),
  resourceGroup: (name: string) => arm.find<{ name: string; location: string }>(`${sub(subscriptionId)}/resourcegroups/${name}`, API.resourceGroups),
  /** Resource groups tagged `lab=<prefix>` (ARM filters by one tag name and value). */
  labGroups: (prefix: string) =>
    arm.list<{ name: string; location: string; tags?: Record<string, string> }>(`${sub(subscriptionId)}/resourcegroups`, API.resourceGroups, {
      $filter: `tagName eq 'lab' and tagValue eq '${prefix}'`,
    }),
  deleteResourceGroup: (name: string) => arm.delete(`${sub(subscriptionId)}/resourcegroups/${name}`, API.resourceGroups),
  groupResources: (group: string) => arm.list<{ id: string; name: string }>(`${sub(subscriptionId)}/resourcegroups/${group}/resources`, API.resources),
  /** Merge tags into a resource's (or group's) tags without touching the others: the Tags API. */
  mergeTags: (scopeId: string, tags: Record<string, string>) =>
    arm.patch(`${scopeId}/providers/Microsoft.Resources/tags/default`, API.tags, { operation: "Merge", properties: { tags } }),
  customRoles: (roleName: string) =>
    arm.list<RoleDefinition>(`${sub(subscriptionId)}/providers/Microsoft.Authorization/roleDefinitions`, API.authorization, {
      $filter: `roleName eq '${roleName}'`,
    }),
  roleAssignments: () => arm.list<RoleAssignment>(`${sub(subscriptionId)}/providers/Microsoft.Authorization/roleAssignments`, API.authorization),
  deleteById: (id: string, apiVersion: string) => arm.delete(id, apiVersion),
  /** The newest run of a Logic App (its run history, newest first). */
  lastWorkflowRun: async (group: string, workflow: string) =>
    (
      await arm.get<{ value?: WorkflowRun[] }>(
        `${sub(subscriptionId)}/resourceGroups/${group}/providers/Microsoft.Logic/workflows/${workflow}/runs`,
        API.logic,
        {
          $top: "1",
        },
      )
    ).value?.[0],
});

export type AzureFacts = ReturnType<typeof azureFacts>;
