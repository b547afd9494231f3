// The Files API over the lab's Unity Catalog volume: datasets go up and results come down streamed, so a
// file of any size (up to the API's 5 GiB) never sits whole in the laptop's memory.
// https://docs.databricks.com/api/workspace/files
import { createReadStream } from "node:fs";
import type { DatabricksClient } from "./client.ts";

const filesUrl = (db: DatabricksClient, path: string) => `${db.host}/api/2.0/fs/files${encodeURI(path)}`;

/** PUT a local file to a volume path, streamed (chunked), replacing what is there. */
export async function uploadFile(db: DatabricksClient, path: string, localFile: string): Promise<void> {
  const reply = await db.http.send("PUT", `${filesUrl(db, path)}?overwrite=true`, {
    stream: () => createReadStream(localFile, { highWaterMark: 1 << 20 }),
    headers: { "content-type": "application/octet-stream" },
    repeatable: true, // a PUT with overwrite lands the same file however often it is sent
  });
  db.http.ok(reply, `PUT ${path}`);
}

/** A volume file's lines, streamed. */
export async function* downloadLines(db: DatabricksClient, path: string): AsyncGenerator<string> {
  const res = await db.http.download(filesUrl(db, path), `GET ${path}`);
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) yield line;
  }
  pending += decoder.decode();
  if (pending.trim()) yield pending;
}

/** A small volume file's text, or undefined while it does not exist (404). */
export async function readIfThere(db: DatabricksClient, path: string): Promise<string | undefined> {
  const reply = await db.http.send("GET", filesUrl(db, path));
  if (reply.status === 404) return undefined;
  db.http.ok(reply, `GET ${path}`);
  return reply.text;
}
