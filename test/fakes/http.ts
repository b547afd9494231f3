// Small helpers the loopback fakes share: start/stop a server, read JSON bodies, answer JSON.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

export async function startServer(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      Promise.resolve(handler(req, res, Buffer.concat(chunks).toString("utf8"))).catch((e: Error) => {
        if (!res.headersSent) sendJson(res, 500, { error: { code: "InternalServerError", message: e.message } });
      });
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}` };
}

export function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((r) => server.close(() => r()));
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A JSON answer whose body trickles out one byte every `msPerByte` after the headers: a server that
 * answers at once but never finishes (what a client's timeout must cover, not only the headers).
 */
export function sendTrickle(res: ServerResponse, status: number, body: unknown, msPerByte: number): void {
  const text = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { "content-type": "application/json", "content-length": text.length });
  let i = 0;
  const tick = () => {
    if (res.destroyed || i >= text.length) return void res.end();
    res.write(text.subarray(i, ++i));
    setTimeout(tick, msPerByte).unref();
  };
  tick();
}
