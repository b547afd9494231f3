// Waiting for the lab's cluster: RUNNING (started if terminated) and every library INSTALLED.
import { z } from "zod";
import { anyObject } from "../http/transport.ts";
import type { DatabricksClient } from "./client.ts";

const clusterInfo = z.looseObject({
  cluster_id: z.string(),
  state: z.string(),
  state_message: z.string().optional(),
  start_time: z.number().optional(),
  terminated_time: z.number().optional(),
  last_activity_time: z.number().optional(),
});
export type ClusterInfo = z.infer<typeof clusterInfo>;

const libraryStatus = z.looseObject({
  library: z.looseObject({ pypi: z.looseObject({ package: z.string() }).optional() }),
  status: z.string(),
  messages: z.array(z.string()).optional(),
});
export type LibraryStatus = z.infer<typeof libraryStatus>;

export const getCluster = (db: DatabricksClient, id: string) => db.get("/api/2.1/clusters/get", clusterInfo, { cluster_id: id });
export const startCluster = (db: DatabricksClient, id: string) => db.post("/api/2.1/clusters/start", { cluster_id: id }, anyObject);
export const libraryStatuses = async (db: DatabricksClient, id: string) =>
  (await db.get("/api/2.0/libraries/cluster-status", z.object({ library_statuses: z.array(libraryStatus).optional() }), { cluster_id: id })).library_statuses ??
  [];

export class ClusterWaitError extends Error {
  readonly exitCode = 1;
}

export interface WaitOptions {
  start?: boolean;
  pollMs?: number;
  timeoutMs?: number;
  onTick?: (what: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Wait until the cluster runs and its libraries are installed; start it if it is terminated. */
export async function waitForCluster(db: DatabricksClient, id: string, opts: WaitOptions = {}): Promise<ClusterInfo> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + (opts.timeoutMs ?? 30 * 60_000);
  let started = false;
  for (;;) {
    const info = await getCluster(db, id);
    if ((info.state === "TERMINATED" || info.state === "TERMINATING") && opts.start !== false && !started) {
      if (info.state === "TERMINATED") {
        await startCluster(db, id);
        started = true;
      }
      opts.onTick?.(`cluster ${info.state.toLowerCase()}, starting it`);
    } else if (info.state === "ERROR" || info.state === "UNKNOWN") {
      throw new ClusterWaitError(`cluster ${id} is ${info.state}: ${info.state_message ?? "no message"}`);
    } else if (info.state === "RUNNING") {
      const libs = await libraryStatuses(db, id);
      const failed = libs.filter((l) => l.status === "FAILED");
      if (failed.length) {
        const names = failed.map((l) => `${l.library.pypi?.package ?? "?"}: ${(l.messages ?? []).join(" ").slice(0, 200)}`);
        throw new ClusterWaitError(`library installation failed on cluster ${id}: ${names.join("; ")}`);
      }
      const pending = libs.filter((l) => l.status !== "INSTALLED");
      if (pending.length === 0) return info;
      opts.onTick?.(`installing libraries (${libs.length - pending.length}/${libs.length} installed)`);
    } else {
      opts.onTick?.(`cluster ${info.state.toLowerCase()}${info.state_message ? `: ${info.state_message}` : ""}`);
    }
    if (now() > deadline) throw new ClusterWaitError(`cluster ${id} not ready after ${Math.round((opts.timeoutMs ?? 1_800_000) / 60000)} minutes`);
    await sleep(opts.pollMs ?? 10_000);
  }
}
