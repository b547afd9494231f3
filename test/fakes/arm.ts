// A loopback fake of Azure Resource Manager for the calls the lab makes, following the real contract:
// bearer auth (401 AuthenticationFailed / InvalidAuthenticationToken), api-version required and checked
// per resource provider (400 InvalidApiVersionParameter / MissingApiVersionParameter), paged lists with
// nextLink, ARM error bodies {"error": {"code", "message"}}, and long-running DELETEs: 202 + Location
// (202 until done, then 200) for resource groups; purges of soft-deleted accounts also carry
// Azure-AsyncOperation, a status body (InProgress → Succeeded) that takes precedence over Location
// (learn.microsoft.com/azure/azure-resource-manager/management/async-operations).
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { sendJson, startServer, stopServer } from "./http.ts";

export interface FakeModel {
  name: string;
  version: string;
  lifecycleStatus?: string;
  inferenceDeprecation?: string;
  /** Capability flags as ARM lists them (strings); default: a chat model. */
  capabilities?: Record<string, string>;
  isDefaultVersion?: boolean;
  skus?: { name: string; usageName?: string; deprecationDate?: string }[];
  replacement?: { name: string; version?: string };
}

const CHAT = { chatCompletion: "true", maxContextToken: "128000", maxOutputToken: "16384" };
const sku = (name: string, model: string, deprecationDate?: string) => ({
  name,
  usageName: `OpenAI.${name}.${model}`,
  ...(deprecationDate ? { deprecationDate } : {}),
});

/** One entry of `GET …/locations/{location}/models` as ARM returns it (api-version 2025-06-01). */
export function armModel(x: FakeModel) {
  return {
    kind: "OpenAI",
    skuName: "S0",
    model: {
      format: "OpenAI",
      name: x.name,
      version: x.version,
      capabilities: x.capabilities ?? CHAT,
      isDefaultVersion: x.isDefaultVersion ?? false,
      lifecycleStatus: x.lifecycleStatus,
      deprecation: x.inferenceDeprecation ? { inference: x.inferenceDeprecation } : undefined,
      skus: x.skus,
      ...(x.replacement ? { replacementConfig: { targetModelName: x.replacement.name, targetModelVersion: x.replacement.version } } : {}),
    },
  };
}

/**
 * A catalog shaped like Azure's in late 2026 (Microsoft's retirement table): gpt-35-turbo retired on
 * 2025-11-14 although its entry still says GenerallyAvailable, pointing at gpt-4o-mini as its
 * replacement — itself retired (regional Standard 2026-03-31, Global/DataZone 2026-10-01); gpt-4.1-mini
 * retired 2026-10-14; gpt-5-mini (to 2027-02-06) offered only as GlobalStandard, and DataZoneStandard in
 * some regions; gpt-5.4-mini GlobalStandard in two regions; an embedding model that cannot chat.
 */
export function todayCatalog(regions = ["eastus2", "northcentralus", "swedencentral", "switzerlandwest"]): Record<string, FakeModel[]> {
  const dataZone = new Set(["eastus2", "swedencentral"]);
  const newest = new Set(["eastus2", "swedencentral"]);
  return Object.fromEntries(
    regions.map((r) => [
      r,
      [
        {
          name: "gpt-35-turbo",
          version: "0125",
          lifecycleStatus: "GenerallyAvailable",
          inferenceDeprecation: "2025-11-14T00:00:00Z",
          skus: [sku("Standard", "gpt-35-turbo", "2025-11-14T00:00:00Z")],
          replacement: { name: "gpt-4o-mini", version: "2024-07-18" },
        },
        {
          name: "gpt-4o-mini",
          version: "2024-07-18",
          lifecycleStatus: "GenerallyAvailable",
          inferenceDeprecation: "2026-10-01T00:00:00Z",
          skus: [sku("Standard", "gpt-4o-mini", "2026-03-31T00:00:00Z"), sku("GlobalStandard", "gpt-4o-mini", "2026-10-01T00:00:00Z")],
        },
        {
          name: "gpt-4.1-mini",
          version: "2025-04-14",
          lifecycleStatus: "GenerallyAvailable",
          inferenceDeprecation: "2026-10-14T00:00:00Z",
          skus: [sku("GlobalStandard", "gpt-4.1-mini")],
        },
        {
          name: "gpt-5-mini",
          version: "2025-08-07",
          lifecycleStatus: "GenerallyAvailable",
          isDefaultVersion: true,
          inferenceDeprecation: "2027-02-06T00:00:00Z",
          skus: [...(dataZone.has(r) ? [sku("DataZoneStandard", "gpt-5-mini")] : []), sku("GlobalStandard", "gpt-5-mini")],
        },
        ...(newest.has(r)
          ? [
              {
                name: "gpt-5.4-mini",
                version: "2026-03-17",
                lifecycleStatus: "GenerallyAvailable",
                inferenceDeprecation: "2027-09-17T00:00:00Z",
                skus: [sku("GlobalStandard", "gpt-5.4-mini")],
              },
            ]
          : []),
        {
          name: "text-embedding-3-small",
          version: "1",
          lifecycleStatus: "GenerallyAvailable",
          capabilities: { embeddings: "true", embeddingsMaxInputs: "2048" },
          inferenceDeprecation: "2027-04-30T00:00:00Z",
          skus: [sku("Standard", "text-embedding-3-small"), sku("GlobalStandard", "text-embedding-3-small")],
        },
      ],
    ]),
  );
}

/** Per-type usages for the today-shaped catalog: room everywhere for the lab's 5K TPM. */
export function todayUsages(regions = ["eastus2", "northcentralus", "swedencentral", "switzerlandwest"]) {
  const names = [
    "OpenAI.Standard.gpt-35-turbo",
    "OpenAI.GlobalStandard.gpt-5-mini",
    "OpenAI.DataZoneStandard.gpt-5-mini",
    "OpenAI.GlobalStandard.gpt-5.4-mini",
    "OpenAI.GlobalStandard.gpt-4.1-mini",
  ];
  return Object.fromEntries(regions.map((r) => [r, Object.fromEntries(names.map((n) => [n, { current: 0, limit: n.includes("Global") ? 1000 : 100 }]))]));
}

export interface FakeArmState {
  subscriptionId: string;
  subscriptionState: string;
  token: string;
  providers: Record<string, string>;
  /** Model catalogue per region. */
  models: Record<string, FakeModel[]>;
  openAiUsage: Record<string, Record<string, { current: number; limit: number }>>;
  computeUsage: Record<string, Record<string, { current: number; limit: number }>>;
  vmSkus: { name: string; family: string; vcpus: number; restrictedIn?: string[] }[];
  deletedAccounts: { name: string; location: string; resourceGroup: string }[];
  /**
   * Resource group name → location; deleting a group also removes its `managed` groups (the Databricks
   * workspace's) and soft-deletes the Cognitive Services `accounts` in it, as Azure does.
   */
  resourceGroups: Map<string, { location: string; managed?: string[]; accounts?: string[]; tags?: Record<string, string> }>;
  pageSize: number;
  /** GETs of an operation before it reports done. */
  pollsUntilDone: number;
  /** ARM finishes a deletion on its own after this long, polled or not. */
  backgroundMs: number;
  /**
   * Virtual time (ms) for tests that run hours in milliseconds (the teardown interpreter): when set,
   * an accepted deletion finishes once this clock passes `deleteTakesMs` after it was accepted.
   */
  clock?: () => number;
  /** How long a resource group deletion takes, and a purge of a soft-deleted account, in that time. */
  deleteTakesMs: number;
  purgeTakesMs: number;
  /**
   * Resource groups under a CanNotDelete lock: DELETE answers 409 ScopeLocked
   * (learn.microsoft.com/azure/azure-resource-manager/management/lock-resources).
   */
  locked: Set<string>;
  /** Scripted failures: the next matching requests get this ARM error (each entry used `times` times). */
  failures: { method: string; pathIncludes: string; status: number; code: string; message: string; times: number }[];
  /** Custom role definitions and role assignments at subscription scope (`Microsoft.Authorization`). */
  roleDefinitions: { id: string; roleName: string }[];
  roleAssignments: { id: string; roleDefinitionId: string; scope: string }[];
  /** Tags merged onto resources inside groups through the Tags API, by resource id. */
  resourceTags: Record<string, Record<string, string>>;
  /** Logic Apps run history by workflow name, newest first (`…/workflows/{name}/runs`). */
  workflowRuns: Record<string, { name: string; status: string; startTime: string; endTime?: string; code?: string }[]>;
}

const API_VERSIONS: [RegExp, string[]][] = [
  [/^\/subscriptions\/[^/]+$/, ["2020-01-01", "2022-12-01"]],
  [/^\/subscriptions\/[^/]+\/providers\/Microsoft\.(CognitiveServices|Databricks|Compute|Logic|Authorization)(\/register)?$/i, ["2021-04-01", "2022-09-01"]],
  [/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+$/i, ["2021-04-01", "2022-09-01", "2024-03-01"]],
  [/^\/subscriptions\/[^/]+\/providers\/Microsoft\.CognitiveServices\//i, ["2023-05-01", "2024-10-01", "2025-06-01"]],
  [/^\/subscriptions\/[^/]+\/providers\/Microsoft\.Compute\/locations\/[^/]+\/usages$/i, ["2023-09-01", "2024-07-01"]],
  [/^\/subscriptions\/[^/]+\/providers\/Microsoft\.Compute\/skus$/i, ["2021-07-01"]],
  [/^\/subscriptions\/[^/]+\/operation(results|statuses)\//i, ["2021-04-01", "2025-06-01"]],
  [/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/Microsoft\.Logic\//i, ["2016-06-01", "2019-05-01"]],
  [/^\/subscriptions\/[^/]+\/resourcegroups$/i, ["2021-04-01", "2022-09-01"]],
  [/^\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/resources$/i, ["2021-04-01"]],
  [/\/providers\/Microsoft\.Resources\/tags\/default$/i, ["2021-04-01"]],
  [/^\/subscriptions\/[^/]+\/providers\/Microsoft\.Authorization\/role(Definitions|Assignments)/i, ["2022-04-01"]],
];

export function defaultArmState(): FakeArmState {
  const regions = ["eastus2", "northcentralus", "swedencentral", "switzerlandwest"];
  const gpt35 = (): FakeModel => ({
    name: "gpt-35-turbo",
    version: "0125",
    lifecycleStatus: "GenerallyAvailable",
    inferenceDeprecation: "2027-03-31T00:00:00Z",
    skus: [{ name: "Standard", usageName: "OpenAI.Standard.gpt-35-turbo" }],
  });
  const mini = (): FakeModel => ({
    name: "gpt-4o-mini",
    version: "2024-07-18",
    lifecycleStatus: "GenerallyAvailable",
    inferenceDeprecation: "2027-09-30T00:00:00Z",
    skus: [{ name: "Standard", usageName: "OpenAI.Standard.gpt-4o-mini" }],
  });
  return {
    subscriptionId: "00000000-1111-2222-3333-444444444444",
    subscriptionState: "Enabled",
    token: "arm-test-token",
    providers: { "Microsoft.CognitiveServices": "Registered", "Microsoft.Databricks": "Registered", "Microsoft.Logic": "Registered" },
    models: Object.fromEntries(regions.map((r) => [r, [gpt35(), mini()]])),
    openAiUsage: Object.fromEntries(
      regions.map((r) => [r, { "OpenAI.Standard.gpt-35-turbo": { current: 0, limit: 120 }, "OpenAI.Standard.gpt-4o-mini": { current: 0, limit: 200 } }]),
    ),
    computeUsage: Object.fromEntries(regions.map((r) => [r, { cores: { current: 0, limit: 20 }, standardDDSv5Family: { current: 0, limit: 10 } }])),
    vmSkus: [
      { name: "Standard_D4ds_v5", family: "standardDDSv5Family", vcpus: 4 },
      { name: "Standard_DS3_v2", family: "standardDSv2Family", vcpus: 4 },
    ],
    deletedAccounts: [],
    resourceGroups: new Map(),
    pageSize: 2,
    pollsUntilDone: 1,
    backgroundMs: 30,
    deleteTakesMs: 5 * 60_000,
    purgeTakesMs: 60_000,
    locked: new Set(),
    failures: [],
    roleDefinitions: [],
    roleAssignments: [],
    resourceTags: {},
    workflowRuns: {},
  };
}

export interface ArmCall {
  method: string;
  path: string;
  apiVersion: string | null;
  status: number;
}

export class FakeArm {
  readonly state: FakeArmState;
  readonly calls: ArmCall[] = [];
  url = "";
  private server?: Server;
  private readonly operations = new Map<string, { polls: number; done: () => void; dueAt?: number }>();
  /** Groups whose deletion ARM has accepted and not finished. */
  private readonly deleting = new WeakSet<object>();
  private opSeq = 0;

  constructor(overrides: Partial<FakeArmState> = {}) {
    this.state = { ...defaultArmState(), ...overrides };
  }

  async start(): Promise<this> {
    const { server, url } = await startServer((req, res, body) => this.handle(req, res, body));
    this.server = server;
    this.url = url;
    return this;
  }

  stop(): Promise<void> {
    return this.server ? stopServer(this.server) : Promise.resolve();
  }

  env(): Record<string, string> {
    return { LAB_ARM_ENDPOINT: this.url, LAB_ARM_TOKEN: this.state.token, ARM_SUBSCRIPTION_ID: this.state.subscriptionId, LAB_ARM_POLL_MS: "5" };
  }

  /** In virtual time: finish the deletions whose time has come (done before answering any request). */
  finishDue(): void {
    const clock = this.state.clock;
    if (clock) for (const op of this.operations.values()) if (op.dueAt !== undefined && clock() >= op.dueAt) op.done();
  }

  private handle(req: IncomingMessage, res: ServerResponse, body = "") {
    const url = new URL(`${this.url}${req.url ?? "/"}`);
    const path = url.pathname.replace(/\/+$/, "");
    const apiVersion = url.searchParams.get("api-version");
    const call: ArmCall = { method: req.method ?? "GET", path, apiVersion, status: 0 };
    this.calls.push(call);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      if (status === 204) {
        res.writeHead(204, headers).end();
        return;
      }
      sendJson(res, status, body, headers);
    };
    const error = (status: number, code: string, message: string) => reply(status, { error: { code, message } });

    const auth = req.headers.authorization;
    if (!auth) return error(401, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing.");
    if (auth !== `Bearer ${this.state.token}`) return error(401, "InvalidAuthenticationToken", "The access token is invalid.");
    if (!apiVersion) return error(400, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.");
    const rule = API_VERSIONS.find(([re]) => re.test(path));
    if (rule && !rule[1].includes(apiVersion)) {
      return error(400, "InvalidApiVersionParameter", `The api-version '${apiVersion}' is invalid. The supported versions are '${rule[1].join(",")}'.`);
    }
    this.finishDue();
    const scripted = this.state.failures.find((f) => f.times > 0 && f.method === req.method && path.includes(f.pathIncludes));
    if (scripted) {
      scripted.times--;
      return error(scripted.status, scripted.code, scripted.message);
    }
    const sub = `/subscriptions/${this.state.subscriptionId}`;
    if (!path.toLowerCase().startsWith(sub.toLowerCase())) {
      return error(404, "SubscriptionNotFound", `The subscription '${path.split("/")[2]}' could not be found.`);
    }
    const rest = path.slice(sub.length);
    const page = <T>(items: T[]) => {
      const skip = Number(url.searchParams.get("$skiptoken") ?? 0);
      const value = items.slice(skip, skip + this.state.pageSize);
      const next = skip + this.state.pageSize < items.length ? new URL(url) : undefined;
      next?.searchParams.set("$skiptoken", String(skip + this.state.pageSize));
      return reply(200, { value, ...(next ? { nextLink: next.toString() } : {}) });
    };
    const longRunning = (work: () => void, takesMs = this.state.deleteTakesMs, started?: () => void, asyncStatus = false) => {
      started?.();
      const id = `op${++this.opSeq}`;
      let finished = false;
      const done = () => {
        if (!finished) work();
        finished = true;
      };
      const clock = this.state.clock;
      if (!clock) setTimeout(done, this.state.backgroundMs).unref();
      this.operations.set(id, { polls: 0, done, dueAt: clock ? clock() + takesMs : undefined });
      const status: Record<string, string> = asyncStatus ? { "azure-asyncoperation": `${this.url}${sub}/operationstatuses/${id}?api-version=2025-06-01` } : {};
      reply(202, "", { location: `${this.url}${sub}/operationresults/${id}?api-version=2021-04-01`, "retry-after": "0", ...status });
    };
    let m: RegExpExecArray | null;

    if (rest === "" && req.method === "GET") {
      return reply(200, { id: sub, subscriptionId: this.state.subscriptionId, displayName: "Lab subscription", state: this.state.subscriptionState });
    }
    if ((m = /^\/operationstatuses\/([^/]+)$/.exec(rest))) {
      const op = this.operations.get(m[1]);
      if (!op) return error(404, "NotFound", "operation not found");
      if (++op.polls < this.state.pollsUntilDone) return reply(200, { id: m[1], name: m[1], status: "InProgress" });
      op.done();
      this.operations.delete(m[1]);
      return reply(200, { id: m[1], name: m[1], status: "Succeeded" });
    }
    if ((m = /^\/operationresults\/([^/]+)$/.exec(rest))) {
      const op = this.operations.get(m[1]);
      if (!op) return error(404, "NotFound", "operation not found");
      if (++op.polls < this.state.pollsUntilDone) return reply(202, "", { location: url.toString(), "retry-after": "0" });
      op.done();
      this.operations.delete(m[1]);
      return reply(200, {});
    }
    if ((m = /^\/providers\/([^/]+)(\/register)?$/i.exec(rest))) {
      const ns = Object.keys(this.state.providers).find((k) => k.toLowerCase() === m?.[1].toLowerCase()) ?? m[1];
      if (m[2] && req.method === "POST") this.state.providers[ns] = "Registering";
      return reply(200, { id: `${sub}/providers/${ns}`, namespace: ns, registrationState: this.state.providers[ns] ?? "NotRegistered" });
    }
    if ((m = /^\/providers\/Microsoft\.CognitiveServices\/locations\/([^/]+)\/models$/i.exec(rest))) {
      return page((this.state.models[m[1]] ?? []).map(armModel));
    }
    // Both providers answer usages in the same shape.
    const usages = (byName: Record<string, { current: number; limit: number }> = {}) =>
      page(
        Object.entries(byName).map(([name, u]) => ({ name: { value: name, localizedValue: name }, currentValue: u.current, limit: u.limit, unit: "Count" })),
      );
    if ((m = /^\/providers\/Microsoft\.CognitiveServices\/locations\/([^/]+)\/usages$/i.exec(rest))) {
      return usages(this.state.openAiUsage[m[1]]);
    }
    if ((m = /^\/providers\/Microsoft\.Compute\/locations\/([^/]+)\/usages$/i.exec(rest))) {
      return usages(this.state.computeUsage[m[1]]);
    }
    if (/^\/providers\/Microsoft\.Compute\/skus$/i.test(rest)) {
      const loc = /location eq '([^']+)'/.exec(url.searchParams.get("$filter") ?? "")?.[1];
      return page(
        this.state.vmSkus.map((s) => ({
          resourceType: "virtualMachines",
          name: s.name,
          tier: "Standard",
          family: s.family,
          locations: loc ? [loc] : [],
          capabilities: [{ name: "vCPUs", value: String(s.vcpus) }],
          restrictions: loc && s.restrictedIn?.includes(loc) ? [{ type: "Location", reasonCode: "NotAvailableForSubscription", values: [loc] }] : [],
        })),
      );
    }
    if (/^\/providers\/Microsoft\.CognitiveServices\/deletedAccounts$/i.test(rest)) {
      return page(
        this.state.deletedAccounts.map((a) => ({
          id: `${sub}/providers/Microsoft.CognitiveServices/locations/${a.location}/resourceGroups/${a.resourceGroup}/deletedAccounts/${a.name}`,
          name: a.name,
          location: a.location,
          kind: "OpenAI",
          type: "Microsoft.CognitiveServices/deletedAccounts",
        })),
      );
    }
    if ((m = /^\/providers\/Microsoft\.CognitiveServices\/locations\/([^/]+)\/resourceGroups\/([^/]+)\/deletedAccounts\/([^/]+)$/i.exec(rest))) {
      const [, loc, rg, name] = m;
      const i = this.state.deletedAccounts.findIndex((a) => a.name === name && a.location === loc && a.resourceGroup === rg);
      if (i < 0) return error(404, "ResourceNotFound", `The deleted account '${name}' was not found.`);
      if (req.method === "GET") return reply(200, { name, location: loc });
      if (req.method === "DELETE") {
        return longRunning(
          () => {
            const at = this.state.deletedAccounts.findIndex((a) => a.name === name && a.location === loc);
            if (at >= 0) this.state.deletedAccounts.splice(at, 1);
          },
          this.state.purgeTakesMs,
          undefined,
          true,
        );
      }
    }
    if ((m = /^\/resourcegroups\/([^/]+)$/i.exec(rest))) {
      const name = m[1];
      const rg = [...this.state.resourceGroups.entries()].find(([k]) => k.toLowerCase() === name.toLowerCase());
      if (!rg) return error(404, "ResourceGroupNotFound", `Resource group '${name}' could not be found.`);
      if (req.method === "GET") {
        return reply(200, {
          id: `${sub}/resourceGroups/${rg[0]}`,
          name: rg[0],
          location: rg[1].location,
          tags: rg[1].tags ?? {},
          properties: { provisioningState: "Succeeded" },
        });
      }
      if (req.method === "DELETE") {
        if (this.state.locked.has(rg[0])) {
          return error(
            409,
            "ScopeLocked",
            `The scope '${sub}/resourceGroups/${rg[0]}' cannot perform delete operation because following scope(s) are locked: '${sub}/resourceGroups/${rg[0]}'. Please remove the lock and try again.`,
          );
        }
        // A group already being deleted answers 202 again; its one deletion goes on as before.
        const entry = rg[1];
        const once = () => {
          if (this.state.resourceGroups.get(rg[0]) !== entry) return;
          for (const managed of entry.managed ?? []) this.state.resourceGroups.delete(managed);
          for (const account of entry.accounts ?? []) this.state.deletedAccounts.push({ name: account, location: entry.location, resourceGroup: rg[0] });
          this.state.resourceGroups.delete(rg[0]);
        };
        return longRunning(once, this.deleting.has(entry) ? Number.POSITIVE_INFINITY : undefined, () => this.deleting.add(entry));
      }
    }
    if (/^\/resourcegroups$/i.test(rest) && req.method === "GET") {
      // $filter=tagName eq '<name>' and tagValue eq '<value>'
      // (learn.microsoft.com/rest/api/resources/resource-groups/list, the $filter parameter).
      const f = /tagName eq '([^']*)'(?: and tagValue eq '([^']*)')?/.exec(url.searchParams.get("$filter") ?? "");
      const groups = [...this.state.resourceGroups.entries()].filter(
        ([, g]) => !f || (f[1] in (g.tags ?? {}) && (f[2] === undefined || g.tags?.[f[1]] === f[2])),
      );
      return page(groups.map(([name, g]) => ({ id: `${sub}/resourceGroups/${name}`, name, location: g.location, tags: g.tags ?? {} })));
    }
    if ((m = /^\/resourcegroups\/([^/]+)\/resources$/i.exec(rest)) && req.method === "GET") {
      const g = this.state.resourceGroups.get(m[1]);
      if (!g) return error(404, "ResourceGroupNotFound", `Resource group '${m[1]}' could not be found.`);
      return page(
        (g.accounts ?? []).map((a) => ({
          id: `${sub}/resourceGroups/${m?.[1]}/providers/Microsoft.CognitiveServices/accounts/${a}`,
          name: a,
          type: "Microsoft.CognitiveServices/accounts",
        })),
      );
    }
    if ((m = /^(\/resourcegroups\/([^/]+)(\/providers\/.+)?)\/providers\/Microsoft\.Resources\/tags\/default$/i.exec(rest)) && req.method === "PATCH") {
      const g = this.state.resourceGroups.get(m[2]);
      if (!g) return error(404, "ResourceGroupNotFound", `Resource group '${m[2]}' could not be found.`);
      const patch = JSON.parse(body || "{}") as { operation?: string; properties?: { tags?: Record<string, string> } };
      if (patch.operation !== "Merge" || !patch.properties?.tags)
        return error(400, "InvalidRequestContent", "operation must be Merge, Replace or Delete with properties.tags");
      const id = `${sub}${m[1]}`;
      if (m[3]) this.state.resourceTags[id] = { ...this.state.resourceTags[id], ...patch.properties.tags };
      else g.tags = { ...g.tags, ...patch.properties.tags };
      return reply(200, { id: `${id}/providers/Microsoft.Resources/tags/default`, properties: { tags: m[3] ? this.state.resourceTags[id] : g.tags } });
    }
    if (/^\/providers\/Microsoft\.Authorization\/roleDefinitions$/i.test(rest) && req.method === "GET") {
      const name = /roleName eq '([^']*)'/.exec(url.searchParams.get("$filter") ?? "")?.[1];
      const defs = this.state.roleDefinitions.filter((d) => name === undefined || d.roleName === name);
      return page(
        defs.map((d) => ({
          id: d.id,
          name: d.id.split("/").pop(),
          type: "Microsoft.Authorization/roleDefinitions",
          properties: { roleName: d.roleName, type: "CustomRole" },
        })),
      );
    }
    if (/^\/providers\/Microsoft\.Authorization\/roleAssignments$/i.test(rest) && req.method === "GET") {
      return page(
        this.state.roleAssignments.map((a) => ({
          id: a.id,
          name: a.id.split("/").pop(),
          properties: { roleDefinitionId: a.roleDefinitionId, scope: a.scope },
        })),
      );
    }
    if ((m = /^\/providers\/Microsoft\.Authorization\/(roleDefinitions|roleAssignments)\/([^/]+)$/i.exec(rest)) && req.method === "DELETE") {
      const [, kind, id] = m;
      if (kind.toLowerCase() === "roledefinitions") {
        const d = this.state.roleDefinitions.find((x) => x.id.endsWith(`/${id}`));
        if (!d) return reply(204, "");
        // ARM refuses to delete a custom role that is still assigned: remove the assignments first
        // (learn.microsoft.com/azure/role-based-access-control/custom-roles, "Delete a custom role").
        if (this.state.roleAssignments.some((a) => a.roleDefinitionId === d.id)) {
          return error(409, "RoleDefinitionHasAssignments", "There are existing role assignments referencing role (code: RoleDefinitionHasAssignments).");
        }
        this.state.roleDefinitions = this.state.roleDefinitions.filter((x) => x !== d);
        return reply(200, { id: d.id });
      }
      const before = this.state.roleAssignments.length;
      this.state.roleAssignments = this.state.roleAssignments.filter((a) => !a.id.endsWith(`/${id}`));
      return before === this.state.roleAssignments.length ? reply(204, "") : reply(200, { id });
    }
    if ((m = /^\/resourcegroups\/([^/]+)\/providers\/Microsoft\.Logic\/workflows\/([^/]+)\/runs$/i.exec(rest)) && req.method === "GET") {
      const [, group, name] = m;
      if (!this.state.resourceGroups.has(group)) return error(404, "ResourceGroupNotFound", `Resource group '${group}' could not be found.`);
      const runs = this.state.workflowRuns[name];
      if (!runs) return error(404, "ResourceNotFound", `The Resource 'Microsoft.Logic/workflows/${name}' under resource group '${group}' was not found.`);
      const top = Number(url.searchParams.get("$top") ?? runs.length);
      return reply(200, {
        value: runs.slice(0, top).map((r) => ({
          id: `${sub}/resourceGroups/${group}/providers/Microsoft.Logic/workflows/${name}/runs/${r.name}`,
          name: r.name,
          type: "Microsoft.Logic/workflows/runs",
          properties: { startTime: r.startTime, endTime: r.endTime, status: r.status, ...(r.code ? { code: r.code } : {}) },
        })),
      });
    }
    return error(404, "NotFound", `No HTTP resource was found that matches ${req.method} ${path}.`);
  }
}
