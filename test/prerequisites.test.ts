// npm test's first step names each missing machine prerequisite with how to get it, and stops before
// preparing anything.
import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { REPO_ROOT, tempDir } from "./helpers/tmp.ts";

it("names python3 and terraform when PATH has neither, one line each, and exits 2", () => {
  const home = tempDir();
  // PATH holds only this Node (no python3, no terraform).
  const nodeDir = join(home, "bin");
  mkdirSync(nodeDir);
  symlinkSync(process.execPath, join(nodeDir, "node"));
  const r = spawnSync(process.execPath, [join(REPO_ROOT, "node_modules", "tsx", "dist", "cli.mjs"), join(REPO_ROOT, "test", "prerequisites.ts")], {
    env: { PATH: nodeDir, HOME: home },
    encoding: "utf8",
  });
  expect(r.status).toBe(2);
  const missing = r.stderr.split("\n").filter((l) => l.startsWith("missing"));
  expect(missing).toHaveLength(2);
  expect(missing[0]).toMatch(/^missing {2}python3 with venv: install Python 3\.10\+ .*python3-venv/);
  expect(missing[1]).toMatch(/^missing {2}terraform on PATH: install Terraform .*developer\.hashicorp\.com\/terraform\/install/);
  expect(r.stdout).toMatch(/^ok {7}Node \d+\.\d+\.\d+/);
  // Nothing prepared: no venv step ran.
  expect(r.stdout).not.toMatch(/Python test environment/);
});
