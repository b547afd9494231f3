// lab-teardown: the synthesized workflow, roles and tags; then the workflow's actions run by a small
// interpreter against the ARM fake, so its paths, api-versions and ordering are proven to work.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { choicesPath } from "../../stacks/config.ts";
import { DELETER_ACTIONS, PURGER_ACTIONS } from "../../stacks/teardown-stack.ts";
import { FakeArm } from "../fakes/arm.ts";
import { type HttpResult, runWorkflow, type VirtualClock, virtualClock } from "../helpers/logic-app-interpreter.ts";
import { only, synthLab } from "../helpers/synth.ts";
import { tempDir } from "../helpers/tmp.ts";

const { stacks, config } = synthLab({ LAB_REGION: "swedencentral" });
const td = stacks["lab-teardown"];
const action = JSON.parse(only(td, "resource", "azurerm_logic_app_action_custom").body);

describe("stack lab-teardown (synthesized)", () => {
  it("holds a Consumption Logic App with a managed identity in its own group in the lab's region", () => {
    const rg = only(td, "resource", "azurerm_resource_group");
    expect(rg).toMatchObject({ name: `rg-evallab-${config.suffix}-teardown`, location: "swedencentral" });
    const wf = only(td, "resource", "azurerm_logic_app_workflow");
    expect(wf).toMatchObject({
      location: "swedencentral",
      identity: { type: "SystemAssigned" },
      workflow_parameters: { deadline: JSON.stringify({ type: "String" }) },
      parameters: { deadline: config.deadline },
    });
    expect(wf.tags["expires-at"]).toBe(config.deadline);
  });

  it("runs every 15 minutes, one run at a time, and checks the deadline first", () => {
    const trigger = only(td, "resource", "azurerm_logic_app_trigger_custom");
    expect(trigger.name).toBe("Every_15_minutes");
    expect(JSON.parse(trigger.body)).toEqual({
      type: "Recurrence",
      recurrence: { frequency: "Minute", interval: 15 },
      runtimeConfiguration: { concurrency: { runs: 1, maximumWaitingRuns: 1 } },
    });
    expect(action.type).toBe("If");
    expect(action.expression).toEqual({ and: [{ greaterOrEquals: ["@ticks(utcNow())", "@ticks(parameters('deadline'))"] }] });
  });

  it("decides by status codes: purge only after the lab group answers 404, self-delete only after all is gone, MSI on every call", () => {
    const a = action.actions;
    const any = ["Succeeded", "Failed", "TimedOut"];
    expect(Object.keys(a)).toEqual(["Delete_lab_group", "Until_lab_group_gone", "If_lab_group_gone"]);
    expect(a.Until_lab_group_gone.runAfter).toEqual({ Delete_lab_group: any });
    expect(a.Until_lab_group_gone.operationOptions).toBe("FailWhenLimitsReached");
    expect(a.If_lab_group_gone).toMatchObject({
      runAfter: { Until_lab_group_gone: any },
      expression: { and: [{ equals: ["@outputs('Get_lab_group')['statusCode']", 404] }] },
    });
    const gone = a.If_lab_group_gone.actions;
    expect(Object.keys(gone)).toEqual(["Purge_openai_account", "Until_account_purged", "Until_managed_group_gone", "If_all_gone"]);
    expect(gone.If_all_gone.expression).toEqual({
      and: [{ equals: ["@outputs('Get_deleted_account')['statusCode']", 404] }, { equals: ["@outputs('Get_managed_group')['statusCode']", 404] }],
    });
    expect(Object.keys(gone.If_all_gone.actions)).toEqual(["Delete_teardown_group"]);
    expect(gone.If_all_gone.else.actions.Stop_lab_leftovers).toMatchObject({ type: "Terminate", inputs: { runStatus: "Failed" } });
    expect(a.If_lab_group_gone.else.actions.Stop_lab_group_still_there).toMatchObject({ type: "Terminate", inputs: { runStatus: "Failed" } });
    const sub = "https://management.azure.com/subscriptions/${data.azurerm_subscription.current.subscription_id}";
    expect(a.Delete_lab_group.inputs).toMatchObject({ method: "DELETE", uri: `${sub}/resourcegroups/rg-evallab-${config.suffix}?api-version=2021-04-01` });
    expect(gone.Purge_openai_account.inputs.uri).toBe(
      `${sub}/providers/Microsoft.CognitiveServices/locations/swedencentral/resourceGroups/rg-evallab-${config.suffix}/deletedAccounts/oai-evallab-${config.suffix}?api-version=2025-06-01`,
    );
    expect(gone.Until_managed_group_gone.actions.Get_managed_group.inputs.uri).toBe(
      `${sub}/resourcegroups/rg-evallab-${config.suffix}-dbw-managed?api-version=2021-04-01`,
    );
    expect(a.Until_lab_group_gone.limit).toEqual({ count: 120, timeout: "PT2H" });
    const https = JSON.stringify(action).match(/"type":"Http"/g) ?? [];
    const msi = JSON.stringify(action).match(/"authentication":\{"type":"ManagedServiceIdentity","audience":"https:\/\/management\.azure\.com\/"\}/g) ?? [];
    expect(msi.length).toBe(https.length);
    expect(https.length).toBe(6);
  });

  it("grants exactly the two custom roles, scoped to the two groups and (purge) the subscription", () => {
    const defs = Object.values(td.resource.azurerm_role_definition as Record<string, any>);
    const deleter = defs.find((d) => d.name.endsWith("-teardown-deleter"));
    const purger = defs.find((d) => d.name.endsWith("-teardown-purger"));
    expect(deleter.permissions).toEqual([{ actions: DELETER_ACTIONS, not_actions: ["Microsoft.Authorization/*"] }]);
    expect(purger.permissions).toEqual([{ actions: PURGER_ACTIONS, not_actions: [] }]);
    expect(deleter.assignable_scopes).toEqual([
      `\${data.azurerm_subscription.current.id}/resourceGroups/rg-evallab-${config.suffix}`,
      "${azurerm_resource_group.rg.id}",
    ]);
    const assignments = Object.values(td.resource.azurerm_role_assignment as Record<string, any>).map((r) => [r.scope, r.role_definition_id]);
    expect(assignments).toEqual([
      [`\${data.azurerm_subscription.current.id}/resourceGroups/rg-evallab-${config.suffix}`, "${azurerm_role_definition.deleter.role_definition_resource_id}"],
      ["${azurerm_resource_group.rg.id}", "${azurerm_role_definition.deleter.role_definition_resource_id}"],
      ["${data.azurerm_subscription.current.id}", "${azurerm_role_definition.purger.role_definition_resource_id}"],
    ]);
    for (const r of Object.values(td.resource.azurerm_role_assignment as Record<string, any>)) {
      expect(r.principal_id).toBe("${azurerm_logic_app_workflow.workflow.identity[0].principal_id}");
    }
  });

  it("tags every lab resource with expires-at", () => {
    for (const [type, byName] of Object.entries(stacks.lab.resource as Record<string, Record<string, any>>)) {
      for (const r of Object.values(byName)) if ("tags" in r) expect(r.tags["expires-at"], type).toBe(config.deadline);
    }
    expect(only(stacks["lab-databricks"], "resource", "databricks_cluster").custom_tags["expires-at"]).toBe(config.deadline);
  });

  it("is not synthesized with expiresIn off", () => {
    const off = synthLab({ LAB_EXPIRES_IN: "off" });
    expect(Object.keys(off.stacks)).toEqual(["lab", "lab-databricks"]);
  });

  it("keeps the deadline across synths of one lab", () => {
    const root = tempDir();
    const a = synthLab({}, { rootDir: root });
    const b = synthLab({ LAB_EXPIRES_IN: "2d" }, { rootDir: root });
    expect(only(b.stacks["lab-teardown"], "resource", "azurerm_logic_app_workflow").parameters.deadline).toBe(a.config.deadline);
    expect(JSON.parse(readFileSync(choicesPath(root), "utf8")).deadline).toBe(a.config.deadline);
  });
});

describe("the teardown workflow, run against the ARM fake under Logic Apps' rules", () => {
  const fakes: FakeArm[] = [];
  afterEach(async () => {
    for (const f of fakes.splice(0)) await f.stop();
  });
  const deadline = Date.parse(config.deadline as string);

  /** A lab in Azure as the stacks leave it, and ARM in virtual time (deletes take 5 minutes). */
  async function azureWithLab(opts: { lab?: boolean } = {}) {
    const clock = virtualClock(deadline + 1000);
    const arm = await new FakeArm({ clock: clock.now }).start();
    fakes.push(arm);
    if (opts.lab !== false) {
      arm.state.resourceGroups.set(config.names.resourceGroup, {
        location: "swedencentral",
        managed: [config.names.managedResourceGroup],
        accounts: [config.names.openaiAccount],
      });
      arm.state.resourceGroups.set(config.names.managedResourceGroup, { location: "swedencentral" });
    }
    arm.state.resourceGroups.set(config.names.teardownGroup, { location: "swedencentral" });
    return { arm, clock };
  }

  async function run(arm: FakeArm, clock: VirtualClock) {
    const requests: { method: string; path: string; status: number }[] = [];
    const ctx = {
      clock,
      parameters: { deadline: config.deadline as string },
      trace: [] as string[],
      http: async (method: string, uri: string, auth: { type: string; audience?: string }): Promise<HttpResult> => {
        expect(auth).toEqual({ type: "ManagedServiceIdentity", audience: "https://management.azure.com/" });
        const url = uri
          .replace("https://management.azure.com", arm.url)
          .replace("${data.azurerm_subscription.current.subscription_id}", arm.state.subscriptionId);
        // The managed identity's token for ARM (the fake accepts its own).
        const res = await fetch(url, { method, headers: { authorization: `Bearer ${arm.state.token}` } });
        requests.push({ method, path: new URL(url).pathname, status: res.status });
        const text = await res.text();
        return { statusCode: res.status, body: text ? JSON.parse(text) : {} };
      },
    };
    const result = await runWorkflow({ Check_deadline: action }, ctx);
    const said = (verb: string, name: string) => requests.filter((q) => q.method === verb && q.path.endsWith(`/${name}`));
    return { ...result, requests, said };
  }

  /** Let ARM finish what it accepted (the teardown's own group), as time passes after the run. */
  function later(arm: FakeArm, clock: VirtualClock, ms = 10 * 60_000) {
    clock.advance(ms);
    arm.finishDue();
  }

  it("does nothing before the deadline", async () => {
    const { arm, clock } = await azureWithLab();
    clock.advance(-120_000);
    const r = await run(arm, clock);
    expect(r.status).toBe("Succeeded");
    expect(r.requests).toEqual([]);
    expect(arm.state.resourceGroups.size).toBe(3);
  });

  it("after the deadline removes the lab, purges the soft-deleted account once the group is gone, then removes itself", async () => {
    const { arm, clock } = await azureWithLab();
    const r = await run(arm, clock);
    expect(r.status).toBe("Succeeded");
    expect(arm.calls.filter((c) => c.status === 400 || c.status === 401)).toEqual([]);
    const lastGroupGet = r.requests.findLastIndex((q) => q.method === "GET" && q.path.endsWith(`/${config.names.resourceGroup}`));
    expect(r.requests[lastGroupGet].status).toBe(404);
    expect(r.requests.findIndex((q) => q.method === "DELETE" && q.path.includes("/deletedAccounts/"))).toBeGreaterThan(lastGroupGet);
    expect(r.requests.at(-1)).toMatchObject({ method: "DELETE", path: expect.stringMatching(new RegExp(`/${config.names.teardownGroup}$`)), status: 202 });
    later(arm, clock);
    expect(arm.state.resourceGroups.size).toBe(0);
    expect(arm.state.deletedAccounts).toEqual([]);
  });

  it("still finishes (and removes itself) when the lab was already removed by hand", async () => {
    const { arm, clock } = await azureWithLab({ lab: false });
    const r = await run(arm, clock);
    expect(r.status).toBe("Succeeded");
    expect(r.requests.map((q) => `${q.method} ${q.status}`)).toEqual(["DELETE 404", "GET 404", "DELETE 404", "GET 404", "GET 404", "DELETE 202"]);
    later(arm, clock);
    expect(arm.state.resourceGroups.size).toBe(0);
  });

  it("a delete slower than one run's limit: the run fails and keeps the guard, never purges early, and the next run finishes", async () => {
    const { arm, clock } = await azureWithLab();
    arm.state.deleteTakesMs = 3 * 3_600_000; // three hours: longer than the two-hour wait
    const first = await run(arm, clock);
    expect(first).toMatchObject({ status: "Failed", code: "LabGroupStillThere" });
    expect(first.requests.some((q) => q.path.includes("/deletedAccounts/"))).toBe(false);
    expect(arm.state.resourceGroups.has(config.names.teardownGroup)).toBe(true);

    later(arm, clock, 15 * 60_000); // the next run, 15 minutes on (one at a time)
    const second = await run(arm, clock);
    expect(second.status).toBe("Succeeded");
    expect(second.said("DELETE", config.names.openaiAccount)).toHaveLength(1);
    later(arm, clock, 3 * 3_600_000);
    expect(arm.state.resourceGroups.size).toBe(0);
    expect(arm.state.deletedAccounts).toEqual([]);
  });

  it("a locked lab group: every run fails visibly and the guard never removes itself while the lab exists", async () => {
    const { arm, clock } = await azureWithLab();
    arm.state.locked.add(config.names.resourceGroup);
    for (let i = 0; i < 2; i++) {
      const r = await run(arm, clock);
      expect(r).toMatchObject({ status: "Failed", code: "LabGroupStillThere" });
      expect(r.said("DELETE", config.names.resourceGroup).map((q) => q.status)).toEqual([409]);
      expect(r.said("DELETE", config.names.teardownGroup)).toEqual([]);
      later(arm, clock, 15 * 60_000);
    }
    expect([...arm.state.resourceGroups.keys()].sort()).toEqual(
      [config.names.resourceGroup, config.names.managedResourceGroup, config.names.teardownGroup].sort(),
    );
  });

  it("a purge that fails once: a 500 is retried within the run; a 409 fails the run, and the next run purges and finishes", async () => {
    const purge = (status: number, code: string) => ({
      method: "DELETE",
      pathIncludes: "/deletedAccounts/",
      status,
      code,
      message: `${code} (scripted)`,
      times: 1,
    });
    const { arm, clock } = await azureWithLab();
    arm.state.failures.push(purge(500, "InternalServerError"));
    const retried = await run(arm, clock);
    expect(retried.status).toBe("Succeeded");
    expect(retried.said("DELETE", config.names.openaiAccount).map((q) => q.status)).toEqual([500, 202]);

    const again = await azureWithLab();
    again.arm.state.failures.push(purge(409, "Conflict"));
    const first = await run(again.arm, again.clock);
    expect(first).toMatchObject({ status: "Failed", code: "LabLeftovers" });
    expect(again.arm.state.resourceGroups.has(config.names.teardownGroup)).toBe(true);
    later(again.arm, again.clock, 15 * 60_000);
    const second = await run(again.arm, again.clock);
    expect(second.status).toBe("Succeeded");
    later(again.arm, again.clock);
    expect(again.arm.state.resourceGroups.size).toBe(0);
    expect(again.arm.state.deletedAccounts).toEqual([]);
  });
});

describe("the interpreter follows Logic Apps' documented rules", () => {
  const ctx = (answers: number[]) => {
    const clock = virtualClock(0);
    return {
      clock,
      parameters: {},
      trace: [] as string[],
      http: async (): Promise<HttpResult> => ({ statusCode: answers.shift() ?? 404, body: {} }),
    };
  };
  const get = (runAfter: Record<string, string[]> = {}) => ({ type: "Http", inputs: { method: "GET", uri: "https://x/", authentication: {} }, runAfter });
  const until = (operationOptions?: string) => ({
    type: "Until",
    expression: "@equals(outputs('Get')['statusCode'], 404)",
    limit: { count: 3, timeout: "PT1H" },
    ...(operationOptions ? { operationOptions } : {}),
    actions: { Get: get() },
    runAfter: {},
  });

  it("fails an HTTP action on a 404, and a run whose failure nothing handles", async () => {
    expect(await runWorkflow({ A: get(), B: get({ A: ["Succeeded"] }) }, ctx([404]))).toMatchObject({
      status: "Failed",
      actions: { A: "Failed", B: "Skipped" },
    });
    expect(await runWorkflow({ A: get(), B: get({ A: ["Failed"] }) }, ctx([404, 200]))).toMatchObject({
      status: "Succeeded",
      actions: { A: "Failed", B: "Succeeded" },
    });
  });

  it("fails an Until whose last iteration failed, even when its condition is met", async () => {
    expect((await runWorkflow({ U: until() }, ctx([200, 404]))).actions.U).toBe("Failed");
  });

  it("ends an Until at its limit Succeeded, unless FailWhenLimitsReached", async () => {
    expect((await runWorkflow({ U: until() }, ctx([200, 200, 200]))).actions.U).toBe("Succeeded");
    expect((await runWorkflow({ U: until("FailWhenLimitsReached") }, ctx([200, 200, 200]))).actions.U).toBe("Failed");
  });

  it("retries 408, 429 and 5xx four times with the default policy, then gives the last answer", async () => {
    const answers = [503, 429, 408, 500, 503, 200];
    const c = ctx(answers);
    expect((await runWorkflow({ A: get() }, c)).actions.A).toBe("Failed");
    expect(answers).toEqual([200]); // one request and four retries
    expect(c.clock.now()).toBeGreaterThanOrEqual(4 * 5000);
    expect((await runWorkflow({ A: get() }, ctx([500, 200]))).actions.A).toBe("Succeeded");
  });

  it("gives every action of the teardown a name unique in the whole definition", () => {
    const names: string[] = [];
    const walk = (actions: Record<string, any>) => {
      for (const [name, a] of Object.entries(actions)) {
        names.push(name);
        if (a.actions) walk(a.actions);
        if (a.else?.actions) walk(a.else.actions);
      }
    };
    walk({ Check_deadline: action });
    expect(new Set(names).size).toBe(names.length);
  });
});
