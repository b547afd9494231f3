// Judged scorers the MLflow 3 way: MLflow's names (<name>/value, /rationale, /error_message; <name>/mean),
// verdicts read robustly, an unreadable one asked once more then kept as an error (never a pass),
// judge requests through the scheduler (429s retried) and the checkpoint (resume re-asks nothing finished).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseVerdict } from "../../eval/judges/verdict.ts";
import { FakeAzureOpenAI } from "../fakes/azure-openai.ts";
import { runCli } from "../helpers/cli.ts";
import { fakeEnv } from "../helpers/eval-env.ts";
import { labAnswer } from "../helpers/textstat-fixture.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("reading a verdict", () => {
  it.each([
    ['{"rationale": "fine", "result": "yes"}', "yes", "fine"],
    ['```json\n{"result": "No", "rationale": "missing"}\n```', "no", "missing"],
    ['Here is my verdict: {"result": "yes", "rationale": "ok"} Thanks.', "yes", "ok"],
    ["Result: no\nThe answer omits the date.", "no", "The answer omits the date."],
    ['{"verdict": true, "reason": "r"}', "yes", "r"],
  ])("%j → %s", (text, value, rationale) => {
    expect(parseVerdict(text)).toEqual({ value, rationale });
  });
  it.each(["Probably fine?", '{"result": "maybe"}', "", "yes and no", '{"result": "yes"'])("%j cannot be read", (text) => {
    expect(parseVerdict(text)).toBeUndefined();
  });
});

const fakes: FakeAzureOpenAI[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.stop();
});
async function fake(opts: ConstructorParameters<typeof FakeAzureOpenAI>[0] = {}) {
  const f = await new FakeAzureOpenAI(opts).start();
  fakes.push(f);
  return f;
}
const readJson = (p: string) => JSON.parse(readFileSync(p, "utf8"));

describe("evallab eval --scorers", () => {
  it("on the lab's dataset: correctness and safety per row and as MLflow 3 names their aggregates", async () => {
    const f = await fake({ answer: labAnswer, script: { "judge:correctness:What is Spark?": [429] } });
    const cwd = tempDir();
    const out = join(cwd, "o");
    const r = await runCli(["eval", "--targets", "ground_truth", "--scorers", "correctness,safety", "--metrics", "exact_match", "--out", out], {
      cwd,
      env: fakeEnv(f),
    });
    expect(r.code, r.stderr).toBe(0);
    const metrics = readJson(join(out, "metrics.json"));
    expect(metrics).toEqual({ "exact_match/v1": 1, "correctness/mean": 1, "safety/mean": 1 });
    const table = readJson(join(out, "eval_results_table.json"));
    expect(table.columns).toEqual([
      "inputs",
      "ground_truth",
      "outputs",
      "correctness/value",
      "correctness/rationale",
      "correctness/error_message",
      "safety/value",
      "safety/rationale",
      "safety/error_message",
    ]);
    for (const row of table.data) expect(row.slice(3)).toEqual(["yes", "The answer states the expected facts.", null, "yes", "Nothing harmful.", null]);
    // Each judge saw the question, the answer and (for correctness) the expected answer; the 429 was retried.
    expect(f.judgeRequests.filter((j) => j.scorer === "correctness").map((j) => j.expected)).toEqual(
      expect.arrayContaining([labAnswer("What is MLflow?"), labAnswer("What is Spark?")]),
    );
    expect(f.requests.filter((q) => q.status === 429)).toHaveLength(1);
    expect(f.judgeRequests).toHaveLength(5);
  });

  it("asks an unreadable verdict once more, then records an error for that row, never a pass", async () => {
    const rows = [
      { inputs: "Who founded Databricks?", ground_truth: "the creators of Apache Spark" },
      { inputs: "What is Delta Lake?", ground_truth: "an open table format" },
      { inputs: "[malformed-once] What is MLflow?", ground_truth: "an open-source platform" },
      { inputs: "[malformed] What is Unity Catalog?", ground_truth: "a governance layer" },
    ];
    const answers: Record<string, string> = {
      "Who founded Databricks?": "It was founded by the creators of Apache Spark in 2013.",
      "What is Delta Lake?": "A kind of lake.",
      "[malformed-once] What is MLflow?": "MLflow is an open-source platform for the machine learning lifecycle.",
      "[malformed] What is Unity Catalog?": "Unity Catalog is a governance layer.",
    };
    const f = await fake({ answer: (q) => answers[q] });
    const cwd = tempDir();
    const data = join(cwd, "d.jsonl");
    writeFileSync(data, `${rows.map((x) => JSON.stringify(x)).join("\n")}\n`);
    const out = join(cwd, "o");
    const r = await runCli(
      [
        "eval",
        "--data",
        data,
        "--targets",
        "ground_truth",
        "--scorers",
        "correctness,guidelines",
        "--guidelines",
        "mention Spark",
        "--metrics",
        "token_count",
        "--out",
        out,
      ],
      { cwd, env: fakeEnv(f) },
    );
    expect(r.code, r.stderr).toBe(0);
    const table = readJson(join(out, "eval_results_table.json"));
    const col = (name: string) => table.data.map((row: unknown[]) => row[table.columns.indexOf(name)]);
    expect(col("correctness/value")).toEqual(["yes", "no", "yes", null]);
    expect(col("correctness/error_message")[3]).toMatch(/^the judge's reply could not be read as yes or no \(twice\): Hmm, hard to say/);
    expect(col("guidelines/value")).toEqual(["yes", "no", "no", null]);
    // Asked twice where the first reply was unreadable; once elsewhere.
    const asked = (q: string) => f.judgeRequests.filter((j) => j.scorer === "correctness" && j.question === q).length;
    expect([asked(rows[0].inputs), asked(rows[2].inputs), asked(rows[3].inputs)]).toEqual([1, 2, 2]);
    const metrics = readJson(join(out, "metrics.json"));
    expect(metrics["correctness/mean"]).toBe(2 / 3);
    expect(metrics["guidelines/mean"]).toBe(1 / 3);
  });

  it("on resume re-asks no finished answer and no finished verdict", async () => {
    const f = await fake({ answer: labAnswer });
    const cwd = tempDir();
    const out = join(cwd, "o");
    const args = ["eval", "--targets", "ground_truth", "--scorers", "correctness,relevance", "--metrics", "exact_match", "--out", out];
    expect((await runCli(args, { cwd, env: fakeEnv(f) })).code).toBe(0);
    // As if killed before the last verdict reached the checkpoint.
    const file = join(out, "judgements.jsonl");
    const lines = readFileSync(file, "utf8").trim().split("\n");
    expect(lines).toHaveLength(4);
    writeFileSync(file, `${lines.slice(0, 3).join("\n")}\n`);
    const before = { requests: f.requests.length, judges: f.judgeRequests.length };
    const r = await runCli(["eval", "--resume", out], { cwd, env: fakeEnv(f) });
    expect(r.code, r.stderr).toBe(0);
    expect(f.requests.length - before.requests).toBe(1);
    expect(f.judgeRequests.length - before.judges).toBe(1);
    expect(readJson(join(out, "metrics.json"))).toMatchObject({ "correctness/mean": 1, "relevance_to_query/mean": 1 });
  });

  it.each([
    [["--scorers", "correctness", "--data", "DATA"], /--scorers correctness compares with the expected answer: give --targets COL/],
    [["--scorers", "truthiness"], /unknown scorer\(s\) truthiness; known: correctness, relevance \(relevance_to_query\), safety, guidelines/],
    [["--scorers", "guidelines"], /--scorers guidelines needs the guidelines: give --guidelines/],
    [["--scorers", "safety", "--fail-if", "correctness/mean<0.5"], /computes no metric "correctness\/mean"/],
  ])("rejects %j with exit 2 before any request", async (args, message) => {
    const f = await fake();
    const cwd = tempDir();
    const data = join(cwd, "d.jsonl");
    writeFileSync(data, `${JSON.stringify({ inputs: "q" })}\n`);
    const r = await runCli(["eval", "--out", join(cwd, "o"), ...args.map((a) => (a === "DATA" ? data : a))], { cwd, env: fakeEnv(f) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(f.requests).toHaveLength(0);
  });
});
