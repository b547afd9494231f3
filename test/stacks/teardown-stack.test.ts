// lab-teardown: the synthesized workflow, roles and tags; then the workflow's actions run by a small
// interpreter against the ARM fake, so its paths, api-versions and ordering are proven to work.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { DELETER_ACTIONS, PURGER_ACTIONS } from "../../stacks/teardown-stack.ts";
import { FakeArm } from "../fakes/arm.ts";
import { type HttpResult, runActions } from "../helpers/logic-app-interpreter.ts";
import { only, synthLab } from "../helpers/synth.ts";
import { tempDir } from "../helpers/tmp.ts";
import { choicesPath } from "../../stacks/config.ts";

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

  it("runs every 15 minutes and checks the deadline first", () => {
    expect(only(td, "resource", "azurerm_logic_app_trigger_recurrence")).toMatchObject({ frequency: "Minute", interval: 15 });
    expect(action.type).toBe("If");
    expect(action.expression).toEqual({ and: [{ greaterOrEquals: ["@ticks(utcNow())", "@ticks(parameters('deadline'))"] }] });
  });

  it("deletes, waits, purges, confirms, then deletes itself — in that order, with MSI on every call", () => {
    const a = action.actions;
    expect(Object.keys(a)).toEqual(["Delete_lab_group", "Until_lab_group_gone", "Purge_openai_account", "Until_managed_group_gone", "Delete_teardown_group"]);
    expect(a.Until_lab_group_gone.runAfter).toEqual({ Delete_lab_group: ["Succeeded", "Failed"] });
    expect(a.Purge_openai_account.runAfter).toEqual({ Until_lab_group_gone: ["Succeeded"] });
    expect(a.Delete_teardown_group.runAfter).toEqual({ Until_managed_group_gone: ["Succeeded"] });
    const sub = "https://management.azure.com/subscriptions/${data.azurerm_subscription.current.subscription_id}";
    expect(a.Delete_lab_group.inputs).toMatchObject({ method: "DELETE", uri: `${sub}/resourcegroups/rg-evallab-${config.suffix}?api-version=2021-04-01` });
    expect(a.Purge_openai_account.inputs.uri).toBe(
      `${sub}/providers/Microsoft.CognitiveServices/locations/swedencentral/resourceGroups/rg-evallab-${config.suffix}/deletedAccounts/oai-evallab-${config.suffix}?api-version=2025-06-01`,
    );
    expect(a.Until_managed_group_gone.actions.Get_managed_group.inputs.uri).toBe(`${sub}/resourcegroups/rg-evallab-${config.suffix}-dbw-managed?api-version=2021-04-01`);
    expect(a.Until_lab_group_gone.limit).toEqual({ count: 120, timeout: "PT2H" });
    const https = JSON.stringify(action).match(/"type":"Http"/g) ?? [];
    const msi = JSON.stringify(action).match(/"authentication":\{"type":"ManagedServiceIdentity","audience":"https:\/\/management\.azure\.com\/"\}/g) ?? [];
    expect(msi.length).toBe(https.length);
    expect(https.length).toBe(5);
  });

  it("grants exactly the two custom roles, scoped to the two groups and (purge) the subscription", () => {
    const defs = Object.values(td.resource.azurerm_role_definition as Record<string, any>);
    const deleter = defs.find((d) => d.name.endsWith("-teardown-deleter"));
    const purger = defs.find((d) => d.name.endsWith("-teardown-purger"));
    expect(deleter.permissions).toEqual([{ actions: DELETER_ACTIONS, not_actions: [] }]);
    expect(purger.permissions).toEqual([{ actions: PURGER_ACTIONS, not_actions: [] }]);
    expect(deleter.assignable_scopes).toEqual([`\${data.azurerm_subscription.current.id}/resourceGroups/rg-evallab-${config.suffix}`, "${azurerm_resource_group.rg.id}"]);
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

describe("the teardown workflow, run against the ARM fake", () => {
  const fakes: FakeArm[] = [];
  afterEach(async () => {
    for (const f of fakes.splice(0)) await f.stop();
  });

  async function run(arm: FakeArm, now: Date) {
    const requests: { method: string; path: string; auth: string }[] = [];
    const ctx = {
      now: () => now,
      parameters: { deadline: config.deadline as string },
      trace: [] as string[],
      http: async (method: string, uri: string, auth: { type: string; audience?: string }): Promise<HttpResult> => {
        expect(auth).toEqual({ type: "ManagedServiceIdentity", audience: "https://management.azure.com/" });
        const url = uri
          .replace("https://management.azure.com", arm.url)
          .replace("${data.azurerm_subscription.current.subscription_id}", arm.state.subscriptionId);
        // The managed identity's token for ARM (the fake accepts its own).
        const res = await fetch(url, { method, headers: { authorization: `Bearer ${arm.state.token}` } });
        requests.push({ method, path: new URL(url).pathname, auth: "msi" });
        const text = await res.text();
        await new Promise((r) => setTimeout(r, 15)); // time passes between polls ("Wait" is a minute on Azure)
        return { statusCode: res.status, body: text ? JSON.parse(text) : {} };
      },
    };
    const status = await runActions({ Check_deadline: action }, ctx);
    return { status, requests, trace: ctx.trace };
  }

  /** ARM finishes accepted deletions in the background: wait for it, as a caller polling would. */
  async function settled(arm: FakeArm) {
    for (let i = 0; i < 100 && arm.state.resourceGroups.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
  }

  function labInAzure(arm: FakeArm) {
    arm.state.resourceGroups.set(config.names.resourceGroup, { location: "swedencentral", managed: [config.names.managedResourceGroup], accounts: [config.names.openaiAccount] });
    arm.state.resourceGroups.set(config.names.managedResourceGroup, { location: "swedencentral" });
    arm.state.resourceGroups.set(config.names.teardownGroup, { location: "swedencentral" });
  }

  it("does nothing before the deadline", async () => {
    const arm = await new FakeArm().start();
    fakes.push(arm);
    labInAzure(arm);
    const r = await run(arm, new Date(Date.parse(config.deadline as string) - 60_000));
    expect(r.requests).toEqual([]);
    expect(arm.state.resourceGroups.size).toBe(3);
  });

  it("after the deadline removes the lab, purges the soft-deleted account, and removes itself", async () => {
    const arm = await new FakeArm().start();
    fakes.push(arm);
    labInAzure(arm);
    const r = await run(arm, new Date(Date.parse(config.deadline as string) + 1000));
    expect(r.status.Check_deadline).toBe("Succeeded");
    expect(arm.calls.filter((c) => c.status === 400 || c.status === 401)).toEqual([]);
    await settled(arm);
    expect(arm.state.resourceGroups.size).toBe(0);
    expect(arm.state.deletedAccounts).toEqual([]);
    const order = r.requests.map((q) => `${q.method} ${q.path.split("/").slice(-1)[0]}`);
    expect(order[0]).toBe(`DELETE ${config.names.resourceGroup}`);
    expect(order.indexOf(`DELETE ${config.names.openaiAccount}`)).toBeGreaterThan(order.lastIndexOf(`GET ${config.names.resourceGroup}`));
    expect(order.at(-1)).toBe(`DELETE ${config.names.teardownGroup}`);
  });

  it("still finishes (and removes itself) when the lab was already removed by hand", async () => {
    const arm = await new FakeArm().start();
    fakes.push(arm);
    arm.state.resourceGroups.set(config.names.teardownGroup, { location: "swedencentral" });
    const r = await run(arm, new Date(Date.parse(config.deadline as string) + 1000));
    expect(r.requests.map((q) => q.method)).toEqual(["DELETE", "GET", "DELETE", "GET", "DELETE"]);
    await settled(arm);
    expect(arm.state.resourceGroups.size).toBe(0);
  });
});
