// Workspace files: upload a dataset too large for a notebook parameter, download a large result table.
import { z } from "zod";
import { anyObject } from "../http/transport.ts";
import type { DatabricksClient } from "./client.ts";

export async function uploadWorkspaceFile(db: DatabricksClient, path: string, content: string): Promise<void> {
  await db.post("/api/2.0/workspace/mkdirs", { path: path.slice(0, path.lastIndexOf("/")) }, anyObject);
  await db.post(
    "/api/2.0/workspace/import",
    {
      path,
      format: "AUTO",
      overwrite: true,
      content: Buffer.from(content, "utf8").toString("base64"),
    },
    anyObject,
  );
}

export async function downloadWorkspaceFile(db: DatabricksClient, path: string): Promise<string> {
  const r = await db.get("/api/2.0/workspace/export", z.object({ content: z.string().optional() }), { path, format: "AUTO" });
  return Buffer.from(r.content ?? "", "base64").toString("utf8");
}
