// A real `mlflow server` from the test venv on 127.0.0.1, with a sqlite store and served artifacts.
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { join } from "node:path";
import { requirePython } from "./python.ts";

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface MlflowServer {
  url: string;
  stop(): Promise<void>;
}

export async function startMlflowServer(dir: string): Promise<MlflowServer> {
  const python = requirePython();
  const port = await freePort();
  const child: ChildProcess = spawn(
    join(python, "..", "mlflow"),
    [
      "server",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--workers",
      "1",
      "--backend-store-uri",
      `sqlite:///${join(dir, "mlflow.db")}`,
      "--artifacts-destination",
      join(dir, "artifacts"),
    ],
    { cwd: dir, env: { PATH: process.env.PATH ?? "", HOME: dir }, stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  let log = "";
  child.stderr?.on("data", (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {}
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mlflow server did not start:\n${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    stop: async () => {
      try {
        process.kill(-(child.pid as number), "SIGTERM"); // the server and its uvicorn workers
      } catch {}
      await new Promise((r) => setTimeout(r, 200));
    },
  };
}
