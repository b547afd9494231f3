// A loopback fake of an Azure Databricks workspace's REST API, following the real contract: bearer
// auth (403 "Invalid access token"), Clusters 2.1 get/start, Libraries 2.0 cluster-status, Databricks
// error bodies {"error_code", "message"}. A cluster walks PENDING → RUNNING and its libraries
// PENDING → INSTALLING → INSTALLED over successive polls, like the real service. Overload is scripted
// as the workspace answers it: 429 REQUEST_LIMIT_EXCEEDED or 503 TEMPORARILY_UNAVAILABLE with
// Retry-After (learn.microsoft.com/azure/databricks/resources/limits), and a body can trickle.
import { closeSync, createReadStream, existsSync, fstatSync, mkdirSync, openSync, statSync, writeFileSync } from "node:fs";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { dirname, join } from "node:path";
import { sendJson, sendTrickle, startServer, stopServer } from "./http.ts";

export interface FakeCluster {
  id: string;
  state: "PENDING" | "RUNNING" | "RESTARTING" | "RESIZING" | "TERMINATING" | "TERMINATED" | "ERROR";
  /** Polls of clusters/get before a PENDING cluster runs. */
  pollsToRun: number;
  libraries: { package: string; status: "PENDING" | "INSTALLING" | "INSTALLED" | "FAILED"; pollsLeft: number; messages?: string[] }[];
  startTime: number;
}

export interface DatabricksCall {
  method: string;
  path: string;
  status: number;
  body?: unknown;
  /** Files API uploads: whether the body came chunked (streamed, no Content-Length), and its size. */
  chunked?: boolean;
  bytes?: number;
}

export class FakeDatabricks {
  readonly calls: DatabricksCall[] = [];
  readonly clusters = new Map<string, FakeCluster>();
  token = "dapi-fake-token-0123456789";
  url = "";
  private server?: Server;
  /** Extra route handlers (jobs, workspace, MLflow) added by tests that need them. */
  readonly routes: ((req: IncomingMessage, res: ServerResponse, body: unknown, url: URL) => boolean)[] = [];
  /** Handlers that see raw bodies before workspace auth (signed storage URLs). */
  readonly rawRoutes: ((req: IncomingMessage, res: ServerResponse, raw: Buffer) => boolean)[] = [];
  /** Scripted overload: the next `times` authenticated requests get this status with Retry-After (seconds). */
  readonly busy: { status: 429 | 503; times: number; retryAfter: string }[] = [];
  /** When set, every answer's body trickles out one byte per this many ms. */
  trickleMs = 0;
  /** Where Unity Catalog volume paths (/Volumes/...) live for the Files API; unset: no volumes. */
  filesRoot?: string;

  async start(): Promise<this> {
    const { server, url } = await startServer((req, res, body) => this.handle(req, res, body));
    this.server = server;
    this.url = url;
    return this;
  }

  stop(): Promise<void> {
    return this.server ? stopServer(this.server) : Promise.resolve();
  }

  addCluster(
    id: string,
    opts: Partial<FakeCluster> = {},
    packages = ["openai==1.42.0", "httpx<0.28", "textstat==0.7.11", "mlflow[databricks]>=3.4"],
  ): FakeCluster {
    const c: FakeCluster = {
      id,
      state: "PENDING",
      pollsToRun: 2,
      libraries: packages.map((p) => ({ package: p, status: "PENDING", pollsLeft: 2 })),
      startTime: Date.now(),
      ...opts,
    };
    this.clusters.set(id, c);
    return c;
  }

  private handle(req: IncomingMessage, res: ServerResponse, raw: string) {
    for (const route of this.rawRoutes) if (route(req, res, Buffer.from(raw, "utf8"))) return;
    const url = new URL(`${this.url}${req.url ?? "/"}`);
    if (url.pathname.startsWith("/api/2.0/fs/")) return this.files(req, res, raw, url);
    let body: Record<string, unknown> = {};
    if (raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        return sendJson(res, 400, { error_code: "MALFORMED_REQUEST", message: "Invalid JSON given in the body of the request" });
      }
    }
    const call: DatabricksCall = { method: req.method ?? "GET", path: url.pathname, status: 0, body: raw ? body : undefined };
    this.calls.push(call);
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      if (this.trickleMs > 0) return sendTrickle(res, status, payload, this.trickleMs);
      sendJson(res, status, payload, headers);
    };
    // A refused token gets the legacy numeric error_code, as the real front door answers
    // (docs.databricks.com/api/account/errors: "some legacy endpoints return the HTTP status code here as an integer").
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      return reply(403, { error_code: 403, message: "Invalid access token." }, { "x-databricks-reason-phrase": "Invalid access token." });
    }
    const busy = this.busy.find((b) => b.times > 0);
    if (busy) {
      busy.times--;
      const [code, message] =
        busy.status === 429
          ? ["REQUEST_LIMIT_EXCEEDED", "Too many requests. Please wait a moment and try again."]
          : ["TEMPORARILY_UNAVAILABLE", "The service is temporarily unavailable. Please try again later."];
      return reply(busy.status, { error_code: code, message }, { "retry-after": busy.retryAfter });
    }

    for (const route of this.routes) {
      if (route(req, res, body, url)) {
        call.status = res.statusCode;
        return;
      }
    }
    const clusterId = (url.searchParams.get("cluster_id") ?? body.cluster_id) as string | undefined;
    const cluster = clusterId ? this.clusters.get(clusterId) : undefined;
    const noCluster = () => reply(400, { error_code: "INVALID_PARAMETER_VALUE", message: `Cluster ${clusterId} does not exist` });

    if (url.pathname === "/api/2.1/clusters/get" && req.method === "GET") {
      if (!cluster) return noCluster();
      if (cluster.state === "PENDING" && --cluster.pollsToRun <= 0) cluster.state = "RUNNING";
      return reply(200, {
        cluster_id: cluster.id,
        state: cluster.state,
        state_message: cluster.state === "PENDING" ? "Finding instances for new nodes" : "",
        start_time: cluster.startTime,
      });
    }
    if (url.pathname === "/api/2.1/clusters/start" && req.method === "POST") {
      if (!cluster) return noCluster();
      if (cluster.state !== "TERMINATED") {
        return reply(400, { error_code: "INVALID_STATE", message: `Cluster ${cluster.id} is in unexpected state ${cluster.state}.` });
      }
      cluster.state = "PENDING";
      cluster.pollsToRun = 2;
      cluster.startTime = Date.now();
      return reply(200, {});
    }
    if (url.pathname === "/api/2.0/libraries/cluster-status" && req.method === "GET") {
      if (!cluster) return noCluster();
      if (cluster.state === "RUNNING") {
        for (const l of cluster.libraries) {
          if (l.status === "FAILED" || l.status === "INSTALLED") continue;
          l.status = --l.pollsLeft <= 0 ? "INSTALLED" : "INSTALLING";
        }
      }
      return reply(200, {
        cluster_id: cluster.id,
        library_statuses: cluster.libraries.map((l) => ({
          library: { pypi: { package: l.package } },
          status: l.status,
          is_library_for_all_clusters: false,
          ...(l.messages ? { messages: l.messages } : {}),
        })),
      });
    }
    return reply(404, { error_code: "ENDPOINT_NOT_FOUND", message: `No API found for '${req.method} ${url.pathname}'` });
  }

  /**
   * The Files API over Unity Catalog volumes (docs.databricks.com/api/workspace/files): PUT
   * /api/2.0/fs/files{path}?overwrite= takes an octet-stream body, creates missing parent directories
   * and answers 204 (409 ALREADY_EXISTS without overwrite); GET streams the file back (404 NOT_FOUND);
   * paths outside /Volumes/ are refused (400 INVALID_PARAMETER_VALUE).
   */
  private files(req: IncomingMessage, res: ServerResponse, raw: string, url: URL) {
    const call: DatabricksCall = { method: req.method ?? "GET", path: url.pathname, status: 0 };
    this.calls.push(call);
    const reply = (status: number, payload?: unknown) => {
      call.status = status;
      if (payload === undefined) {
        res.writeHead(status).end();
        return;
      }
      sendJson(res, status, payload);
    };
    if (req.headers.authorization !== `Bearer ${this.token}`) return reply(403, { error_code: 403, message: "Invalid access token." });
    const m = /^\/api\/2\.0\/fs\/files(\/.*)$/.exec(decodeURIComponent(url.pathname));
    if (!m) return reply(404, { error_code: "ENDPOINT_NOT_FOUND", message: `No API found for '${req.method} ${url.pathname}'` });
    const path = m[1];
    if (!path.startsWith("/Volumes/")) {
      return reply(400, { error_code: "INVALID_PARAMETER_VALUE", message: `Invalid path: ${path}. Paths must be Unity Catalog volume paths (/Volumes/...)` });
    }
    if (!this.filesRoot) return reply(404, { error_code: "NOT_FOUND", message: `The volume of ${path} does not exist.` });
    const local = join(this.filesRoot, path.slice("/Volumes".length));
    if (req.method === "PUT") {
      call.chunked = req.headers["transfer-encoding"] === "chunked";
      call.bytes = Buffer.byteLength(raw);
      if (existsSync(local) && url.searchParams.get("overwrite") !== "true") {
        return reply(409, { error_code: "ALREADY_EXISTS", message: `The file being created already exists: ${path}` });
      }
      mkdirSync(dirname(local), { recursive: true });
      writeFileSync(local, raw);
      return reply(204);
    }
    if (req.method === "GET" || req.method === "HEAD") {
      if (!existsSync(local) || !statSync(local).isFile()) return reply(404, { error_code: "NOT_FOUND", message: "The file being accessed is not found." });
      call.status = 200;
      // One open file, streamed: its size and bytes agree even if it is replaced meanwhile.
      const fd = openSync(local, "r");
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": fstatSync(fd).size });
      if (req.method === "HEAD") {
        closeSync(fd);
        res.end();
        return;
      }
      createReadStream("", { fd }).pipe(res);
      return;
    }
    return reply(405, { error_code: "BAD_REQUEST", message: `${req.method} is not supported on ${url.pathname}` });
  }
}
