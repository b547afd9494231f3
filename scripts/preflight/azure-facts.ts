// What ARM reports that the life cycle judges: reads of subscriptions, providers, models, quotas, SKUs,
// groups, roles and runs, each checked against a schema of the fields the lab reads (others pass through).
import { z } from "zod";
import { API } from "../azure/api-versions.ts";
import type { ArmClient } from "../azure/arm-client.ts";

const subscription = z.looseObject({ subscriptionId: z.string(), displayName: z.string().optional(), state: z.string() });
export type Subscription = z.infer<typeof subscription>;

const accountModel = z.looseObject({
  kind: z.string().optional(),
  skuName: z.string().optional(),
  model: z.looseObject({
    format: z.string().optional(),
    name: z.string(),
    version: z.string(),
    lifecycleStatus: z.string().optional(),
    isDefaultVersion: z.boolean().optional(),
    /** String flags such as `{"chatCompletion": "true"}` or `{"embeddings": "true"}`. */
    capabilities: z.record(z.string(), z.string()).optional(),
    deprecation: z.looseObject({ fineTune: z.string().optional(), inference: z.string().optional() }).optional(),
    skus: z.array(z.looseObject({ name: z.string(), usageName: z.string().optional(), deprecationDate: z.string().optional() })).optional(),
    replacementConfig: z.looseObject({ targetModelName: z.string().optional(), targetModelVersion: z.string().optional() }).optional(),
  }),
});
export type AccountModel = z.infer<typeof accountModel>;

const usage = z.looseObject({ name: z.looseObject({ value: z.string(), localizedValue: z.string().optional() }), currentValue: z.number(), limit: z.number() });
export type Usage = z.infer<typeof usage>;

const computeSku = z.looseObject({
  resourceType: z.string(),
  name: z.string(),
  family: z.string().optional(),
  locations: z.array(z.string()).optional(),
  capabilities: z.array(z.looseObject({ name: z.string(), value: z.string() })).optional(),
  restrictions: z.array(z.looseObject({ type: z.string(), reasonCode: z.string().optional(), values: z.array(z.string()).optional() })).optional(),
});
export type ComputeSku = z.infer<typeof computeSku>;

const roleDefinition = z.looseObject({ id: z.string(), name: z.string(), properties: z.looseObject({ roleName: z.string(), type: z.string().optional() }) });
export type RoleDefinition = z.infer<typeof roleDefinition>;

const roleAssignment = z.looseObject({
  id: z.string(),
  properties: z.looseObject({ roleDefinitionId: z.string(), scope: z.string(), principalId: z.string().optional() }),
});
export type RoleAssignment = z.infer<typeof roleAssignment>;

const workflowRun = z.looseObject({
  name: z.string(),
  properties: z.looseObject({
    status: z.string(),
    startTime: z.string().optional(),
    endTime: z.string().optional(),
    code: z.string().optional(),
    error: z.looseObject({ message: z.string().optional() }).optional(),
  }),
});
export type WorkflowRun = z.infer<typeof workflowRun>;

const deletedAccount = z.looseObject({ id: z.string(), name: z.string(), location: z.string() });
export type DeletedAccount = z.infer<typeof deletedAccount>;

const resourceGroup = z.looseObject({ name: z.string(), location: z.string(), tags: z.record(z.string(), z.string()).nullish() });
const provider = z.looseObject({ namespace: z.string(), registrationState: z.string() });
const registration = z.looseObject({ registrationState: z.string().optional() });
const resource = z.looseObject({ id: z.string(), name: z.string() });

const sub = (id: string) => `/subscriptions/${id}`;

export const azureFacts = (arm: ArmClient, subscriptionId: string) => ({
  subscription: () => arm.get(sub(subscriptionId), API.subscriptions, subscription),
  provider: (ns: string) => arm.get(`${sub(subscriptionId)}/providers/${ns}`, API.providers, provider),
  registerProvider: (ns: string) => arm.post(`${sub(subscriptionId)}/providers/${ns}/register`, API.providers, registration),
  models: (region: string) => arm.list(`${sub(subscriptionId)}/providers/Microsoft.CognitiveServices/locations/${region}/models`, API.cognitive, accountModel),
  openAiUsages: (region: string) => arm.list(`${sub(subscriptionId)}/providers/Microsoft.CognitiveServices/locations/${region}/usages`, API.cognitive, usage),
  computeUsages: (region: string) => arm.list(`${sub(subscriptionId)}/providers/Microsoft.Compute/locations/${region}/usages`, API.computeUsages, usage),
  computeSkus: (region: string) =>
    arm.list(`${sub(subscriptionId)}/providers/Microsoft.Compute/skus`, API.computeSkus, computeSku, { $filter: `location eq '${region}'` }),
  deletedAccounts: () => arm.list(`${sub(subscriptionId)}/providers/Microsoft.CognitiveServices/deletedAccounts`, API.cognitive, deletedAccount),
  purgeDeleted: (account: DeletedAccount) => arm.delete(account.id, API.cognitive),
  resourceGroup: (name: string) => arm.find(`${sub(subscriptionId)}/resourcegroups/${name}`, API.resourceGroups, resourceGroup),
  /** Resource groups tagged `lab=<prefix>` (ARM filters by one tag name and value). */
  labGroups: (prefix: string) =>
    arm.list(`${sub(subscriptionId)}/resourcegroups`, API.resourceGroups, resourceGroup, { $filter: `tagName eq 'lab' and tagValue eq '${prefix}'` }),
  deleteResourceGroup: (name: string) => arm.delete(`${sub(subscriptionId)}/resourcegroups/${name}`, API.resourceGroups),
  groupResources: (group: string) => arm.list(`${sub(subscriptionId)}/resourcegroups/${group}/resources`, API.resources, resource),
  /** Merge tags into a resource's (or group's) tags without touching the others: the Tags API. */
  mergeTags: (scopeId: string, tags: Record<string, string>) =>
    arm.patch(`${scopeId}/providers/Microsoft.Resources/tags/default`, API.tags, { operation: "Merge", properties: { tags } }),
  customRoles: (roleName: string) =>
    arm.list(`${sub(subscriptionId)}/providers/Microsoft.Authorization/roleDefinitions`, API.authorization, roleDefinition, {
      $filter: `roleName eq '${roleName}'`,
    }),
  roleAssignments: () => arm.list(`${sub(subscriptionId)}/providers/Microsoft.Authorization/roleAssignments`, API.authorization, roleAssignment),
  deleteById: (id: string, apiVersion: string) => arm.delete(id, apiVersion),
  /** The newest run of a Logic App (its run history, newest first). */
  lastWorkflowRun: async (group: string, workflow: string) =>
    (
      await arm.get(
        `${sub(subscriptionId)}/resourceGroups/${group}/providers/Microsoft.Logic/workflows/${workflow}/runs`,
        API.logic,
        z.object({ value: z.array(workflowRun).optional() }),
        { $top: "1" },
      )
    ).value?.[0],
});

export type AzureFacts = ReturnType<typeof azureFacts>;
