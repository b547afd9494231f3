// The teardown workflow's logic, as plain data (Logic Apps workflow definition language): when the
// deadline has passed, delete the lab's resource group, wait (bounded) until ARM says it is gone, purge
// the soft-deleted OpenAI account, confirm the workspace's managed group is gone, then delete the
// teardown's own group. Every call is ARM REST with the workflow's managed identity.
//
// Designed for Logic Apps' documented run rules, which are harsher than they look:
//  - an HTTP action that gets a non-2xx answer (the 404 we wait for) is Failed;
//  - an Until loop whose last iteration holds a failed action ends Failed, and one that hits its limit
//    ends Succeeded unless `FailWhenLimitsReached` (learn.microsoft.com/azure/logic-apps/logic-apps-control-flow-loops#until);
// so no step trusts a loop's status: each runs after its predecessor whatever it ended as, and every
// decision reads the status code ARM answered. The self-delete sits only in the branch that saw the lab
// group and the managed group answer 404 and the purge done; any other ending is a Terminate(Failed)
// that keeps the guard in place, visible in the run history, to try again on the next run.

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
/** Run after the predecessor however it ended: decisions read status codes, not action statuses. */
const WHATEVER = ["Succeeded", "Failed", "TimedOut"];

function http(method: "GET" | "DELETE", path: string, apiVersion: string, runAfter: Record<string, string[]> = {}) {
  return {
    type: "Http",
    inputs: { method, uri: `${ARM}${path}?api-version=${apiVersion}`, authentication: msi },
    // Our own Until loops poll; the action returns as soon as ARM accepts (202).
    operationOptions: "DisableAsyncPattern",
    runAfter,
  };
}

const statusOf = (action: string) => `@outputs('${action}')['statusCode']`;
const isGone = (action: string) => ({ equals: [statusOf(action), 404] });

/** Poll `path` once a minute until ARM answers 404; hitting the limit is a failure, not a success. */
function untilGone(what: string, getName: string, path: string, apiVersion: string, runAfter: Record<string, string[]>) {
  const wait = `Wait_for_${what}`;
  return {
    type: "Until",
    expression: `@equals(${statusOf(getName).slice(1)}, 404)`,
    limit: UNTIL_LIMIT,
    operationOptions: "FailWhenLimitsReached",
    actions: {
      [wait]: { type: "Wait", inputs: { interval: { count: 1, unit: "Minute" } }, runAfter: {} },
      [getName]: http("GET", path, apiVersion, { [wait]: ["Succeeded"] }),
    },
    runAfter,
  };
}

/** End the run Failed with a reason: the guard stays, and the run history says why. */
function stop(code: string, message: string) {
  return { type: "Terminate", inputs: { runStatus: "Failed", runError: { code, message } }, runAfter: {} };
}

/** Name of the single top-level action (an If on the deadline). */
export const CHECK_DEADLINE = "Check_deadline";

export function teardownAction(t: TeardownTargets) {
  const sub = `/subscriptions/${t.subscriptionId}`;
  const lab = `${sub}/resourcegroups/${t.labGroup}`;
  const managed = `${sub}/resourcegroups/${t.managedGroup}`;
  const own = `${sub}/resourcegroups/${t.teardownGroup}`;
  const deleted = `${sub}/providers/Microsoft.CognitiveServices/locations/${t.region}/resourceGroups/${t.labGroup}/deletedAccounts/${t.openaiAccount}`;
  return {
    type: "If",
    expression: { and: [{ greaterOrEquals: ["@ticks(utcNow())", "@ticks(parameters('deadline'))"] }] },
    actions: {
      // 202 starts (or re-confirms) the deletion; 404 means already gone: either way, wait for 404.
      Delete_lab_group: http("DELETE", lab, API.resourceGroups),
      Until_lab_group_gone: untilGone("lab_group", "Get_lab_group", lab, API.resourceGroups, { Delete_lab_group: WHATEVER }),
      If_lab_group_gone: {
        type: "If",
        expression: { and: [isGone("Get_lab_group")] },
        runAfter: { Until_lab_group_gone: WHATEVER },
        actions: {
          // Only now: deleting the group soft-deletes the account; purging earlier finds nothing.
          Purge_openai_account: http("DELETE", deleted, API.cognitive),
          Until_account_purged: untilGone("purge", "Get_deleted_account", deleted, API.cognitive, { Purge_openai_account: WHATEVER }),
          Until_managed_group_gone: untilGone("managed_group", "Get_managed_group", managed, API.resourceGroups, { Until_account_purged: WHATEVER }),
          If_all_gone: {
            type: "If",
            expression: { and: [isGone("Get_deleted_account"), isGone("Get_managed_group")] },
            runAfter: { Until_managed_group_gone: WHATEVER },
            actions: { Delete_teardown_group: http("DELETE", own, API.resourceGroups) },
            else: {
              actions: {
                Stop_lab_leftovers: stop(
                  "LabLeftovers",
                  "The soft-deleted OpenAI account or the Databricks managed resource group is still there; the next run tries again.",
                ),
              },
            },
          },
        },
        else: {
          actions: {
            Stop_lab_group_still_there: stop(
              "LabGroupStillThere",
              "The lab's resource group is still there (a lock, a policy, or a slow delete); the next run tries again.",
            ),
          },
        },
      },
    },
    else: { actions: {} },
    runAfter: {},
  };
}

/**
 * The trigger: every 15 minutes, one run at a time (a slow delete must not pile up overlapping runs).
 * `runtimeConfiguration.concurrency`: learn.microsoft.com/azure/logic-apps/logic-apps-workflow-actions-triggers#change-trigger-concurrency
 */
export const TRIGGER_NAME = "Every_15_minutes";
export function teardownTrigger() {
  return {
    type: "Recurrence",
    recurrence: { frequency: "Minute", interval: 15 },
    runtimeConfiguration: { concurrency: { runs: 1, maximumWaitingRuns: 1 } },
  };
}
