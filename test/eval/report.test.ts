// report.html and compare.html in a real browser (Debian's Chromium): every row rendered, one chart per
// score metric, sorting and filtering, nothing fetched, no console error; and --fail-if / --junit.
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeAzureOpenAI } from "../fakes/azure-openai.ts";
import { launchChromium, openFile, screenshotPath } from "../helpers/browser.ts";
import { runCli } from "../helpers/cli.ts";
import { fakeEnv, READABILITY_ENV } from "../helpers/eval-env.ts";
import { TEXTSTAT_ROWS } from "../helpers/textstat-fixture.ts";
import { tempDir } from "../helpers/tmp.ts";

const ROWS = TEXTSTAT_ROWS.slice(0, 24).map((r, i) => ({
  // Row 5 asks something the fake's content filter refuses.
  inputs: i === 5 ? `Question ${i}: something forbidden?` : `Question ${i}: tell me about ${r.id}?`,
  ground_truth: i % 4 === 0 ? r.text : "something else",
  answer: r.text,
}));
const answerOf = (q: string) => ROWS.find((r) => r.inputs === q)?.answer ?? "";

let browser: Browser;
let fake: FakeAzureOpenAI;
let cwd: string;
let out: string;
let dataset: string;

beforeAll(async () => {
  browser = await launchChromium();
  fake = await new FakeAzureOpenAI({ answer: answerOf, promptFilterWord: "forbidden" }).start();
  cwd = tempDir();
  dataset = join(cwd, "qa.jsonl");
  writeFileSync(dataset, `${ROWS.map(({ inputs, ground_truth }) => JSON.stringify({ inputs, ground_truth })).join("\n")}\n`);
  out = join(cwd, "run");
  const r = await runCli(["eval", "--data", dataset, "--targets", "ground_truth", "--out", out], { cwd, env: fakeEnv(fake) });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toContain(`report: ${join(out, "report.html")}`);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await fake?.stop();
});

const rowsSection = "section[aria-labelledby=h-rows]";

describe("report.html", () => {
  it("renders every row and one chart per score metric, fetching nothing and logging no error", async () => {
    const file = join(out, "report.html");
    const { page, requests, errors } = await openFile(browser, file);
    expect(await page.locator(`${rowsSection} tbody tr`).count()).toBe(24);
    // Score columns here: token_count and the two readability scores (toxicity cannot load offline).
    const table = JSON.parse(readFileSync(join(out, "eval_results_table.json"), "utf8"));
    const scoreColumns = table.columns.filter((c: string) => !["inputs", "ground_truth", "outputs"].includes(c));
    expect(scoreColumns).toEqual(["token_count", "flesch_kincaid_grade_level/v1/score", "ari_grade_level/v1/score"]);
    const figures = page.locator("figure");
    expect(await figures.count()).toBe(scoreColumns.length);
    expect(await figures.evaluateAll((fs) => fs.map((f) => f.getAttribute("data-metric")))).toEqual(scoreColumns);
    for (const f of await figures.all()) {
      expect(await f.locator("canvas").count()).toBeGreaterThan(0);
      expect(await f.locator("[role=img]").getAttribute("aria-label")).toMatch(/^Histogram of .+: 23 values; mean [\d.]+, p90 [\d.]+\. Bins: /);
    }
    // MLflow's aggregates, by their names, with the values metrics.json holds.
    const metrics = JSON.parse(readFileSync(join(out, "metrics.json"), "utf8"));
    const shown = await page.locator("table.aggregates tbody tr").evaluateAll((trs) => trs.map((tr) => tr.querySelector("th")?.textContent));
    expect(shown).toEqual(Object.keys(metrics));
    // The run: counts, dataset hash, endpoint host.
    const facts = await page.locator("dl.run").textContent();
    expect(facts).toContain("24 · answered 23 · filtered 1 · failed 0");
    expect(facts).toContain(new URL(fake.url).host);
    expect(facts).toMatch(/[0-9a-f]{64}/);
    // The filtered row is marked with its reason.
    const filtered = page.locator(`${rowsSection} tbody tr.filtered`);
    expect(await filtered.count()).toBe(1);
    expect(await filtered.locator("td.status").textContent()).toBe("filtered content_filter (prompt)");
    await page.screenshot({ path: screenshotPath("report.png"), fullPage: false });
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("sorts by a score column both ways and filters by text", async () => {
    const { page, errors } = await openFile(browser, join(out, "report.html"));
    const tokenCells = () => page.locator(`${rowsSection} tbody tr td:nth-child(6)`).allTextContents();
    const header = page.locator(`${rowsSection} thead th`, { hasText: /^token_count$/ });
    const numbers = (cells: string[]) => cells.filter((c) => c !== "—").map((c) => Number(c.replace(/,/g, "")));
    await header.locator("button").click();
    expect(await header.getAttribute("aria-sort")).toBe("ascending");
    const up = numbers(await tokenCells());
    expect(up).toEqual([...up].sort((a, b) => a - b));
    expect((await tokenCells()).at(-1)).toBe("—"); // no score sorts last
    await header.locator("button").click();
    expect(await header.getAttribute("aria-sort")).toBe("descending");
    const down = numbers(await tokenCells());
    expect(down).toEqual([...down].sort((a, b) => b - a));

    await page.getByRole("searchbox").fill("sw-003-rebase");
    await expect.poll(() => page.locator(`${rowsSection} tbody tr`).count()).toBe(1);
    expect(await page.getByRole("status").textContent()).toBe("rows 1–1 of 1 (filtered from 24), page 1 of 1");
    expect(await page.locator(`${rowsSection} tbody tr td:nth-child(3)`).textContent()).toContain("sw-003-rebase");
    expect(errors).toEqual([]);
    await page.close();
  });

  it("pages 100,000 rows and stays a reasonable size", async () => {
    const big = join(cwd, "big.jsonl");
    const texts = TEXTSTAT_ROWS.map((r) => r.text);
    writeFileSync(big, `${Array.from({ length: 100_000 }, (_, i) => JSON.stringify({ q: `q${i}`, a: texts[i % texts.length] })).join("\n")}\n`);
    const dir = join(cwd, "big");
    const r = await runCli(["eval", "--data", big, "--inputs-column", "q", "--predictions", "a", "--metrics", "token_count", "--out", dir, "--quiet"], {
      cwd,
      env: READABILITY_ENV,
    });
    expect(r.code, r.stderr).toBe(0);
    const size = statSync(join(dir, "report.html")).size;
    expect(size).toBeLessThan(0.5 * statSync(join(dir, "eval_results_table.json")).size); // gzipped inside the page
    const { page, errors } = await openFile(browser, join(dir, "report.html"));
    expect(await page.locator(`${rowsSection} tbody tr`).count()).toBe(50);
    expect(await page.getByRole("status").textContent()).toBe("rows 1–50 of 100,000, page 1 of 2000");
    await page.getByRole("button", { name: "next →" }).click();
    expect(await page.locator(`${rowsSection} tbody tr`).first().locator("td").first().textContent()).toBe("51");
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);
});

describe("evallab compare with three runs", () => {
  it("prints the matrix and writes compare.html with every run as a column", async () => {
    const runs: string[] = [];
    for (const [i, n] of [24, 20, 16].entries()) {
      const data = join(cwd, `static-${i}.jsonl`);
      writeFileSync(
        data,
        `${ROWS.slice(0, n)
          .map((r, k) => JSON.stringify({ q: r.inputs, a: k % (i + 2) === 0 ? "Short." : r.answer, t: r.ground_truth }))
          .join("\n")}\n`,
      );
      const dir = join(cwd, `static-${i}`);
      const r = await runCli(
        [
          "eval",
          "--data",
          data,
          "--inputs-column",
          "q",
          "--predictions",
          "a",
          "--targets",
          "t",
          "--metrics",
          "exact_match,token_count,ari_grade_level",
          "--out",
          dir,
        ],
        {
          cwd,
          env: READABILITY_ENV,
        },
      );
      expect(r.code, r.stderr).toBe(0);
      runs.push(dir);
    }
    const html = join(cwd, "cmp.html");
    const r = await runCli(["compare", ...runs, "--html", html], { cwd, env: {} });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split("\n").find((l) => l.startsWith("metric"))).toMatch(/^metric\s+static-0\s+static-1\s+Δ\s+static-2\s+Δ$/);
    expect(r.stdout).toMatch(/rows in two or more runs \(matched by question\): 20; changed: \d+/);

    const { page, requests, errors } = await openFile(browser, html);
    const head = await page.locator("table.matrix thead th").allTextContents();
    expect(head).toEqual(["metric", "static-0 (base)", "static-1", "static-2"]);
    expect(await page.locator("table.matrix tbody tr").count()).toBe(Object.keys(JSON.parse(readFileSync(join(runs[0], "metrics.json"), "utf8"))).length);
    expect(await page.locator(`${rowsSection} tbody tr`).count()).toBe(20);
    await page.screenshot({ path: screenshotPath("compare.png"), fullPage: false });
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 120_000);

  it("refuses folders that are not runs, naming each, with exit 2", async () => {
    const r = await runCli(["compare", out, cwd, join(cwd, "nope")], { cwd, env: {} });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`not run folders (no metrics.json and eval_results_table.json): ${cwd}, ${join(cwd, "nope")}`);
  });
});

describe("--fail-if and --junit", () => {
  const gateRun = (args: string[]) =>
    runCli(["eval", "--data", dataset, "--targets", "ground_truth", "--metrics", "exact_match,token_count", ...args], { cwd, env: fakeEnv(fake) });

  it("writes the results, then exits 1 naming each broken threshold with its value and limit", async () => {
    const dir = join(cwd, "gated");
    const junit = join(cwd, "junit.xml");
    const r = await gateRun(["--out", dir, "--fail-if", "exact_match/v1<0.6", "--fail-if", "exact_match/v1>0.9", "--junit", junit]);
    expect(r.code).toBe(1);
    const exact = JSON.parse(readFileSync(join(dir, "metrics.json"), "utf8"))["exact_match/v1"];
    expect(exact).toBeCloseTo(6 / 23, 12); // rows 0, 4, …, 20 match; row 5 was filtered
    expect(r.stderr).toContain(`threshold broken: exact_match/v1<0.6 (exact_match/v1 = ${exact}, and must not be < 0.6)`);
    expect(r.stderr).toContain(`threshold ok: exact_match/v1>0.9 (exact_match/v1 = ${exact}, not > 0.9)`);
    const xml = readFileSync(junit, "utf8");
    expect(xml).toContain('<testsuite name="evallab thresholds" tests="2" failures="1" errors="0">');
    expect(xml.match(/<testcase /g)).toHaveLength(2);
    expect(xml.match(/<failure /g)).toHaveLength(1);
  });

  it.each([
    ["toxicity/v1/mean>0.05", /computes no metric "toxicity\/v1\/mean"; it computes: exact_match\/v1$/m],
    ["exact_match/v1 = 0.5", /write METRIC OP NUMBER with OP one of < <= > >=/],
  ])("rejects %s with exit 2 before any request", async (expr, message) => {
    const before = fake.requests.length;
    const dir = join(cwd, `bad-${before}`);
    const r = await gateRun(["--out", dir, "--fail-if", expr]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(fake.requests.length).toBe(before);
  });
});
