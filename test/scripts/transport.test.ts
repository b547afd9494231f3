// The one HTTP transport, through the real clients against the loopback fakes: Retry-After honoured up
// to a cap, a timeout that covers a trickling body, one error type with its exit code, zod-checked
// answers, Azure-AsyncOperation, and credentials never sent to another host.
import type { IncomingMessage } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { API } from "../../scripts/azure/api-versions.ts";
import { ArmClient } from "../../scripts/azure/arm-client.ts";
import { DatabricksClient } from "../../scripts/databricks/client.ts";
import { getCluster } from "../../scripts/databricks/cluster.ts";
import { ServiceError } from "../../scripts/http/transport.ts";
import { azureFacts } from "../../scripts/preflight/azure-facts.ts";
import { FakeArm } from "../fakes/arm.ts";
import { FakeDatabricks } from "../fakes/databricks.ts";
import { sendJson, startServer, stopServer } from "../fakes/http.ts";

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (stops.length) await (stops.pop() as () => Promise<void>)();
});

async function workspace() {
  const dbx = await new FakeDatabricks().start();
  stops.push(() => dbx.stop());
  dbx.addCluster("c1", { state: "RUNNING" });
  const slept: number[] = [];
  const client = (opts: { token?: string; timeoutMs?: number } = {}) =>
    new DatabricksClient({ host: dbx.url, token: async () => opts.token ?? dbx.token, timeoutMs: opts.timeoutMs, sleep: async (ms) => void slept.push(ms) });
  return { dbx, slept, client };
}

async function caught(p: Promise<unknown>): Promise<ServiceError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ServiceError);
  return e as ServiceError;
}

describe("retries", () => {
  it.each([429, 503] as const)("waits out a Databricks %i for its Retry-After, then succeeds", async (status) => {
    const { dbx, slept, client } = await workspace();
    dbx.busy.push({ status, times: 2, retryAfter: "3" });
    const cluster = await getCluster(client(), "c1");
    expect(cluster.state).toBe("RUNNING");
    expect(slept).toEqual([3000, 3000]);
    expect(dbx.calls.filter((c) => c.path === "/api/2.1/clusters/get").map((c) => c.status)).toEqual([status, status, 200]);
  });

  it("does not wait out a Retry-After beyond the cap: fails at once saying when to try again", async () => {
    const { dbx, slept, client } = await workspace();
    dbx.busy.push({ status: 429, times: 1, retryAfter: "86400" });
    const e = await caught(getCluster(client(), "c1"));
    expect(slept).toEqual([]);
    expect(e).toMatchObject({ service: "databricks", status: 429, code: "REQUEST_LIMIT_EXCEEDED", exitCode: 1 });
    expect(e.message).toMatch(/asks to retry in 24 h: try again then/);
  });

  it("gives up after the last attempt with the service's own error", async () => {
    const { dbx, client } = await workspace();
    dbx.busy.push({ status: 503, times: 10, retryAfter: "1" });
    const e = await caught(getCluster(client(), "c1"));
    expect(e).toMatchObject({ status: 503, code: "TEMPORARILY_UNAVAILABLE" });
    expect(dbx.calls).toHaveLength(5);
  });
});

describe("timeouts", () => {
  it("times out a server that answers at once but trickles its body", async () => {
    const { dbx, client } = await workspace();
    dbx.trickleMs = 200;
    const e = await caught(getCluster(client({ timeoutMs: 300 }), "c1"));
    expect(e).toMatchObject({ service: "databricks", code: "Timeout", exitCode: 1 });
    expect(e.message).toMatch(/did not answer within 1 s \(GET \/api\/2\.1\/clusters\/get\)/);
    expect(dbx.calls.length).toBe(5); // a GET is safe to repeat
  });
});

describe("errors", () => {
  it("reads Databricks' legacy numeric error_code as the HTTP status, as its docs say; refused credentials exit 2", async () => {
    const { client } = await workspace();
    const e = await caught(getCluster(client({ token: "wrong" }), "c1"));
    expect(e).toMatchObject({ service: "databricks", status: 403, code: "403", exitCode: 2 });
    expect(e.message).toBe("GET /api/2.1/clusters/get: 403: Invalid access token. (check DATABRICKS_TOKEN, or sign in with `az login`)");
  });

  it("checks answers against the schema of what is read, naming the field", async () => {
    const { dbx, client } = await workspace();
    dbx.routes.push((_req, res, _body, url) => {
      if (url.pathname !== "/api/2.1/clusters/get") return false;
      sendJson(res, 200, { cluster_id: "c1", state: 7 });
      return true;
    });
    const e = await caught(getCluster(client(), "c1"));
    expect(e).toMatchObject({ code: "UnexpectedResponse", exitCode: 1 });
    expect(e.message).toMatch(/unexpected answer from Databricks \(state: /);
  });
});

describe("Azure Resource Manager", () => {
  it("follows Azure-AsyncOperation (over Location) until the purge Succeeded", async () => {
    const arm = await new FakeArm({ pollsUntilDone: 3 }).start();
    stops.push(() => arm.stop());
    arm.state.deletedAccounts.push({ name: "oai-x", location: "eastus2", resourceGroup: "rg-x" });
    const client = new ArmClient({ endpoint: arm.url, token: async () => arm.state.token, sleep: async () => {} });
    const facts = azureFacts(client, arm.state.subscriptionId);
    const [account] = await facts.deletedAccounts();
    await facts.purgeDeleted(account);
    expect(arm.state.deletedAccounts).toEqual([]);
    const polls = arm.calls.filter((c) => c.path.includes("/operation"));
    expect(polls.map((c) => c.path.split("/")[3])).toEqual(["operationstatuses", "operationstatuses", "operationstatuses"]);
  });

  it("never sends its token to a nextLink on another host", async () => {
    const seen: IncomingMessage[] = [];
    const elsewhere = await startServer((req, res) => {
      seen.push(req);
      sendJson(res, 200, { value: [] });
    });
    stops.push(() => stopServer(elsewhere.server));
    const arm = await startServer((_req, res) => sendJson(res, 200, { value: [{ id: "a", name: "a" }], nextLink: `${elsewhere.url}/page2` }));
    stops.push(() => stopServer(arm.server));
    const client = new ArmClient({ endpoint: arm.url, token: async () => "secret-token", sleep: async () => {} });
    const e = await caught(client.list("/subscriptions/s/resourcegroups/g/resources", API.resources, z.object({ id: z.string() })));
    expect(e).toMatchObject({ code: "ForeignHost", exitCode: 1 });
    expect(e.message).toContain(new URL(elsewhere.url).host);
    expect(seen).toEqual([]);
  });
});
