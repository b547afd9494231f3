// kill -9 in the middle of a run, then --resume: every row once, no finished row asked again.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FakeAzureOpenAI } from "../fakes/azure-openai.ts";
import { runCli, spawnCli } from "../helpers/cli.ts";
import { fakeEnv } from "../helpers/eval-env.ts";
import { tempDir } from "../helpers/tmp.ts";

const fake = await new FakeAzureOpenAI({ latencyMs: 120 }).start();
afterAll(() => fake.stop());

const linesOf = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);

describe("checkpoint and resume", () => {
  it("loses no finished row to kill -9 and asks only unfinished rows again", async () => {
    const cwd = tempDir();
    const rows = Array.from({ length: 30 }, (_, i) => ({ inputs: `Resume question ${i}?` }));
    const data = join(cwd, "d.jsonl");
    writeFileSync(data, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const out = join(cwd, "run");
    const args = ["eval", "--data", data, "--metrics", "token_count", "--max-concurrency", "2", "--quiet"];
    const env = fakeEnv(fake);

    const child = spawnCli([...args, "--out", out], { cwd, env });
    const predictions = join(out, "predictions.jsonl");
    const deadline = Date.now() + 30_000;
    while (linesOf(predictions).length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));

    const finished = linesOf(predictions).map((l) => JSON.parse(l));
    expect(finished.length).toBeGreaterThanOrEqual(6);
    expect(finished.length).toBeLessThan(30);
    const finishedQuestions = new Set(finished.map((p) => rows[p.index].inputs));
    const before = fake.requests.length;

    const r = await runCli([...args, "--resume", out], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${finished.length} from checkpoint`);

    const askedAgain = fake.requests.slice(before).map((q) => q.messages[1].content);
    expect(askedAgain.filter((q) => finishedQuestions.has(q))).toEqual([]);
    expect(new Set(askedAgain).size).toBe(30 - finished.length);

    const table = JSON.parse(readFileSync(join(out, "eval_results_table.json"), "utf8"));
    expect(table.data.map((row: unknown[]) => row[0])).toEqual(rows.map((x) => x.inputs));
    expect(table.data.every((row: unknown[]) => typeof row[1] === "string")).toBe(true);
    expect(linesOf(predictions)).toHaveLength(30);
  }, 60_000);

  it("re-asks when a setting in the cache key changes (no stale answers)", async () => {
    const other = await new FakeAzureOpenAI({ deployments: ["gpt-35-turbo", "gpt-4o-mini"] }).start();
    try {
      const cwd = tempDir();
      const out = join(cwd, "run");
      const env = fakeEnv(other);
      const base = ["eval", "--metrics", "token_count", "--quiet"];
      expect((await runCli([...base, "--out", out], { cwd, env })).code).toBe(0);
      expect(other.completed).toHaveLength(2);
      expect((await runCli([...base, "--resume", out], { cwd, env })).code).toBe(0);
      expect(other.completed).toHaveLength(2); // same settings: nothing asked again
      expect((await runCli([...base, "--resume", out, "--deployment", "gpt-4o-mini"], { cwd, env })).code).toBe(0);
      expect(other.completed.map((q) => q.deployment)).toEqual(["gpt-35-turbo", "gpt-35-turbo", "gpt-4o-mini", "gpt-4o-mini"]);
    } finally {
      await other.stop();
    }
  });

  it("cuts a torn last line and appends cleanly after it", async () => {
    const cwd = tempDir();
    const out = join(cwd, "run");
    const env = fakeEnv(fake);
    const base = ["eval", "--metrics", "token_count", "--quiet"];
    expect((await runCli([...base, "--out", out], { cwd, env })).code).toBe(0);
    const file = join(out, "predictions.jsonl");
    const [first] = linesOf(file);
    writeFileSync(file, `${first}\n{"key": "abc", "ind`); // the second row's line was cut mid-write
    const r = await runCli([...base, "--resume", out], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    expect(linesOf(file).map((l) => JSON.parse(l).index).sort()).toEqual([0, 1]);
  });
});
