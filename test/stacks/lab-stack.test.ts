import { describe, expect, it } from "vitest";
import { LAB_REGIONS } from "../../stacks/config.ts";
import { only, synthLab } from "../helpers/synth.ts";

const { stacks, config } = synthLab({ LAB_TAGS: "course=ml101" });
const lab = stacks.lab;

describe("stack lab", () => {
  it("configures azurerm with the lab's provider features and no baked-in subscription", () => {
    const [provider] = lab.provider.azurerm;
    expect(provider.features).toEqual([
      {
        cognitive_account: [{ purge_soft_delete_on_destroy: true }],
        databricks_workspace: [{ force_delete: true }],
        resource_group: [{ prevent_deletion_if_contains_resources: false }],
      },
    ]);
    // Left to ARM_SUBSCRIPTION_ID at deploy time: synthesis stays machine-independent.
    expect(provider.subscription_id).toBeUndefined();
  });

  it("creates the resource group in the lab's region with the tags", () => {
    const rg = only(lab, "resource", "azurerm_resource_group");
    expect(LAB_REGIONS).toContain(rg.location);
    expect(rg.location).toBe(config.region);
    expect(rg.name).toBe(config.names.resourceGroup);
    expect(rg.tags).toEqual({ course: "ml101", lab: "evallab", "expires-at": config.deadline });
  });

  it("creates an S0 OpenAI account with a unique custom subdomain and key auth", () => {
    const acct = only(lab, "resource", "azurerm_cognitive_account");
    expect(acct).toMatchObject({
      kind: "OpenAI",
      sku_name: "S0",
      location: config.region,
      local_auth_enabled: true,
      custom_subdomain_name: `oai-evallab-${config.suffix}`,
      tags: { course: "ml101", lab: "evallab" },
    });
  });

  it("keeps the account through Azure's upgrade to Foundry: kind and project management are ignored, the endpoint comes from the subdomain", () => {
    const acct = only(lab, "resource", "azurerm_cognitive_account");
    // An upgraded account reads back kind = AIServices and allowProjectManagement = true; both force a
    // new account in azurerm, so a later apply must not see them as changes.
    expect(acct.lifecycle).toEqual({ ignore_changes: ["kind", "project_management_enabled"] });
    expect(lab.output.openai_endpoint.value).toBe(`https://oai-evallab-${config.suffix}.openai.azure.com/`);
    expect(lab.output.openai_model.value).toBe("gpt-35-turbo 0125 Standard");
  });

  it("deploys the chat model: Standard, 5K TPM, dynamic quota off, default content filter", () => {
    const dep = only(lab, "resource", "azurerm_cognitive_deployment");
    expect(dep).toMatchObject({
      name: "gpt-35-turbo",
      model: { format: "OpenAI", name: "gpt-35-turbo", version: "0125" },
      sku: { name: "Standard", capacity: 5 },
      dynamic_throttling_enabled: false,
      rai_policy_name: "Microsoft.DefaultV2",
      version_upgrade_option: "OnceNewDefaultVersionAvailable",
    });
    expect(dep.cognitive_account_id).toMatch(/^\$\{azurerm_cognitive_account\..+\.id\}$/);
  });

  it("creates the Databricks workspace in the same group and region with an explicit managed group", () => {
    const ws = only(lab, "resource", "azurerm_databricks_workspace");
    expect(ws).toMatchObject({
      sku: "premium",
      location: config.region,
      managed_resource_group_name: `rg-evallab-${config.suffix}-dbw-managed`,
    });
    expect(ws.resource_group_name).toMatch(/^\$\{azurerm_resource_group\..+\.name\}$/);
  });

  it("outputs what the tools need, the key only as sensitive", () => {
    const o = lab.output;
    for (const name of ["openai_endpoint", "openai_deployment", "openai_api_version", "region", "workspace_url", "workspace_resource_id", "openai_api_key"]) {
      expect(o[name], name).toBeDefined();
    }
    expect(o.openai_api_key.sensitive).toBe(true);
    expect(o.openai_api_key.value).toMatch(/primary_access_key\}$/);
    expect(o.workspace_url.value).toMatch(/^https:\/\/\$\{azurerm_databricks_workspace\..+\.workspace_url\}$/);
    expect(o.openai_api_version.value).toBe("2024-10-21");
    // Only the key (and cdktf's own cross-stack outputs) are sensitive.
    const sensitive = Object.entries(o)
      .filter(([, v]) => (v as { sensitive?: boolean }).sensitive)
      .map(([k]) => k)
      .filter((k) => !k.startsWith("cross-stack-output-"));
    expect(sensitive).toEqual(["openai_api_key"]);
  });

  it("follows settings: model, capacity, sku", () => {
    const s = synthLab({
      LAB_MODEL: "gpt-4o-mini",
      LAB_MODEL_VERSION: "2024-07-18",
      LAB_DEPLOYMENT_NAME: "chat",
      LAB_CAPACITY: "10",
      LAB_DEPLOYMENT_TYPE: "GlobalStandard",
      LAB_DATABRICKS_SKU: "trial",
      LAB_VERSION_UPGRADE_OPTION: "NoAutoUpgrade",
    }).stacks.lab;
    expect(only(s, "resource", "azurerm_cognitive_deployment")).toMatchObject({
      name: "chat",
      model: { name: "gpt-4o-mini", version: "2024-07-18" },
      sku: { name: "GlobalStandard", capacity: 10 },
      version_upgrade_option: "NoAutoUpgrade",
    });
    expect(only(s, "resource", "azurerm_databricks_workspace").sku).toBe("trial");
  });
});
