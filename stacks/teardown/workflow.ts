// The teardown workflow's logic, as plain data (Logic Apps workflow definition language): when the
// deadline has passed, delete the lab's resource group, wait (bounded) until ARM says it is gone, purge
// the soft-deleted OpenAI account, confirm the workspace's managed group is gone, then delete the
// teardown's own group. Every call is ARM REST with the workflow's managed identity.

export const ARM = "https://management.azure.com";
export const API = { resourceGroups: "2021-04-01", cognitive: "2025-06-01" } as const;
/** Polling bounds: one GET a minute, at most two hours per wait. */
export const UNTIL_LIMIT = { count: 120, timeout: "PT2H" } as const;

export interface TeardownTargets {
  /** Expression for the subscription id, resolved by Terraform at deploy time. */
  subscriptionId: string;
  region: string;
  labGroup: string;
  managedGroup: string;
  teardownGroup: string;
  openaiAccount: string;
}

const msi = { type: "ManagedServiceIdentity", audience: `${ARM}/` };

function http(method: "GET" | "DELETE", path: string, apiVersion: string, runAfter: Record<string, string[]> = {}) {
  return {
    type: "Http",
    inputs: { method, uri: `${ARM}${path}?api-version=${apiVersion}`, authentication: msi },
    // Our own Until loops poll; the action returns as soon as ARM accepts (202).
    operationOptions: "DisableAsyncPattern",
    runAfter,
  };
}

function untilGone(getName: string, path: string, runAfter: Record<string, string[]>) {
  return {
    type: "Until",
    expression: `@equals(outputs('${getName}')['statusCode'], 404)`,
    limit: UNTIL_LIMIT,
    actions: {
      Wait_a_minute: { type: "Wait", inputs: { interval: { count: 1, unit: "Minute" } }, runAfter: {} },
      [getName]: http("GET", path, API.resourceGroups, { Wait_a_minute: ["Succeeded"] }),
    },
    runAfter,
  };
}

/** Name of the single top-level action (an If on the deadline). */
export const CHECK_DEADLINE = "Check_deadline";

export function teardownAction(t: TeardownTargets) {
  const sub = `/subscriptions/${t.subscriptionId}`;
  const lab = `${sub}/resourcegroups/${t.labGroup}`;
  const managed = `${sub}/resourcegroups/${t.managedGroup}`;
  const own = `${sub}/resourcegroups/${t.teardownGroup}`;
  const deleted = `${sub}/providers/Microsoft.CognitiveServices/locations/${t.region}/resourceGroups/${t.labGroup}/deletedAccounts/${t.openaiAccount}`;
  const done = ["Succeeded", "Failed"]; // a 404 (already gone) fails an HTTP action: go on anyway
  return {
    type: "If",
    expression: { and: [{ greaterOrEquals: ["@ticks(utcNow())", "@ticks(parameters('deadline'))"] }] },
    actions: {
      Delete_lab_group: http("DELETE", lab, API.resourceGroups),
      Until_lab_group_gone: untilGone("Get_lab_group", lab, { Delete_lab_group: done }),
      Purge_openai_account: http("DELETE", deleted, API.cognitive, { Until_lab_group_gone: ["Succeeded"] }),
      Until_managed_group_gone: untilGone("Get_managed_group", managed, { Purge_openai_account: done }),
      Delete_teardown_group: http("DELETE", own, API.resourceGroups, { Until_managed_group_gone: ["Succeeded"] }),
    },
    else: { actions: {} },
    runAfter: {},
  };
}
