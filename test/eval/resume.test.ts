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

  it("continues the saved run with --resume DIR alone, and refuses other options or another dataset, changing nothing", async () => {
    const other = await new FakeAzureOpenAI({ deployments: ["gpt-35-turbo", "gpt-4o-mini"] }).start();
    try {
      const cwd = tempDir();
      const out = join(cwd, "run");
      const data = join(cwd, "rows.jsonl");
      writeFileSync(data, `${["What is MLflow?", "What is Spark?", "What is Delta?"].map((q) => JSON.stringify({ inputs: q })).join("\n")}\n`);
      const env = fakeEnv(other);
      expect((await runCli(["eval", "--data", data, "--metrics", "token_count", "--quiet", "--out", out], { cwd, env })).code).toBe(0);
      expect(other.completed).toHaveLength(3);
      const saved = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
      expect(saved).toMatchObject({ data, columns: { inputs: "inputs" }, metrics: ["token_count"], deployment: "gpt-35-turbo", apiVersion: "2024-10-21" });
      expect(JSON.stringify(saved)).not.toContain(other.opts.apiKey);

      // Alone, it continues that run (its dataset, not the bundled one): nothing to ask again.
      expect((await runCli(["eval", "--resume", out], { cwd, env })).code).toBe(0);
      expect(other.completed).toHaveLength(3);
      expect(JSON.parse(readFileSync(join(out, "eval_results_table.json"), "utf8")).data).toHaveLength(3);

      const before = readFileSync(join(out, "predictions.jsonl"), "utf8");
      const metricsBefore = readFileSync(join(out, "metrics.json"), "utf8");
      const changed = await runCli(["eval", "--resume", out, "--deployment", "gpt-4o-mini"], { cwd, env });
      expect(changed.code).toBe(2);
      expect(changed.stderr).toContain('--deployment is "gpt-4o-mini" now, "gpt-35-turbo" in the run');
      const otherData = await runCli(["eval", "--resume", out, "--data", join(cwd, "other.jsonl")], { cwd, env });
      expect(otherData.code).toBe(2);
      expect(otherData.stderr).toMatch(/--data is ".*other\.jsonl" now/);
      writeFileSync(data, `${JSON.stringify({ inputs: "Edited?" })}\n`);
      const edited = await runCli(["eval", "--resume", out], { cwd, env });
      expect(edited.code).toBe(2);
      expect(edited.stderr).toContain("changed since the run (sha256)");
      expect(readFileSync(join(out, "predictions.jsonl"), "utf8")).toBe(before);
      expect(readFileSync(join(out, "metrics.json"), "utf8")).toBe(metricsBefore);
      expect(other.completed).toHaveLength(3);
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
    expect(
      linesOf(file)
        .map((l) => JSON.parse(l).index)
        .sort(),
    ).toEqual([0, 1]);
  });

  it("skips a damaged line in the middle with a warning naming it, and asks only that row again", async () => {
    const cwd = tempDir();
    const out = join(cwd, "run");
    const data = join(cwd, "rows.jsonl");
    writeFileSync(data, `${Array.from({ length: 6 }, (_, i) => JSON.stringify({ inputs: `Damage question ${i}?` })).join("\n")}\n`);
    const env = fakeEnv(fake);
    expect((await runCli(["eval", "--data", data, "--metrics", "token_count", "--quiet", "--out", out], { cwd, env })).code).toBe(0);
    const file = join(out, "predictions.jsonl");
    const lines = linesOf(file);
    const damagedIndex = JSON.parse(lines[2]).index;
    lines[2] = `${lines[2].slice(0, 20)}\u0000garbage`;
    writeFileSync(file, `${lines.join("\n")}\n`);
    const asked = fake.completed.length;
    const r = await runCli(["eval", "--resume", out], { cwd, env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("predictions.jsonl line 3 is damaged and was skipped; its row is asked again");
    // Only the damaged row was asked again; the rows after it were kept.
    expect(fake.completed.length - asked).toBe(1);
    expect(fake.completed.at(-1)?.messages.at(-1)?.content).toBe(`Damage question ${damagedIndex}?`);
  });
});

describe("Ctrl-C during eval", () => {
  it("stops sending, keeps the answers, writes the results so far, prints the resume command, exits 130", async () => {
    const slow = await new FakeAzureOpenAI({ latencyMs: 250 }).start();
    try {
      const cwd = tempDir();
      const data = join(cwd, "d.jsonl");
      writeFileSync(data, `${Array.from({ length: 40 }, (_, i) => JSON.stringify({ inputs: `Interrupt question ${i}?` })).join("\n")}\n`);
      const out = join(cwd, "run");
      const env = fakeEnv(slow);
      const child = spawnCli(["eval", "--data", data, "--metrics", "token_count", "--max-concurrency", "2", "--out", out], { cwd, env });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      while (linesOf(join(out, "predictions.jsonl")).length < 4) await new Promise((r) => setTimeout(r, 50));
      child.kill("SIGINT");
      const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
      expect(code, stderr).toBe(130);
      expect(stderr).toContain(`continue with: evallab eval --resume ${out}`);
      const kept = linesOf(join(out, "predictions.jsonl")).length;
      expect(kept).toBeLessThan(40);
      // Every answer that arrived was kept: nothing answered is lost, and the results so far are written.
      expect(kept).toBe(slow.completed.length);
      expect(existsSync(join(out, "metrics.json"))).toBe(true);

      const r = await runCli(["eval", "--resume", out], { cwd, env });
      expect(r.code, r.stderr).toBe(0);
      expect(new Set(slow.completed.map((q) => q.messages.at(-1)?.content)).size).toBe(40);
      expect(slow.completed).toHaveLength(40); // no billed duplicate
    } finally {
      await slow.stop();
    }
  });
});
