// `evallab compare DIR...`: two or more runs side by side, in the terminal and as compare.html.
import { basename, resolve } from "node:path";
import { type Comparison, compareRuns, writeComparePage } from "../../eval/html/compare.ts";
import { isRunFolder, readRunFolder } from "../../eval/html/run-folder.ts";
import { table } from "../../eval/terminal.ts";
import { type Command, EXIT, type Io, parseCommand, UsageError } from "./command.ts";

const HELP = `usage: evallab compare DIR DIR [DIR...] [--html FILE] [--json]

Runs side by side: each of MLflow's aggregates per run, with the difference against the first run
(marked * where it exceeds twice its standard error, i.e. more than run-to-run spread), then the rows
present in several runs, matched by question, and how many changed. Also writes a self-contained
compare.html (sortable, filterable rows; opens offline).
  --html FILE   where to write the page (default: compare.html here)
  --json        the comparison as JSON on stdout
exit: 0 compared · 2 a folder is not a run (named)`;

const fmt = (v: number | null) => (v === null ? "—" : Number.isInteger(v) ? String(v) : v.toFixed(6));
const signed = (d: number | null, beyond: boolean) => (d === null ? "—" : `${d >= 0 ? "+" : ""}${d.toPrecision(3)}${beyond ? " *" : ""}`);

/** Short, distinct column labels: the folders' names, numbered when they repeat. */
function labels(dirs: string[]): string[] {
  const names = dirs.map((d) => basename(d));
  return names.map((n, i) => (names.indexOf(n) !== names.lastIndexOf(n) ? `${n}#${i + 1}` : n));
}

function render(c: Comparison, io: Io): void {
  io.out(c.runs.map((r, i) => `${i + 1}. ${r.label}: ${r.dir}`).join("\n"));
  io.out("");
  const headers = ["metric", ...c.runs.flatMap((r, i) => (i === 0 ? [`${r.label}`] : [r.label, "Δ"]))];
  io.out(
    table(
      headers,
      c.matrix.map((m) => [m.metric, ...m.values.flatMap((v, i) => (i === 0 ? [fmt(v)] : [fmt(v), signed(m.diffs[i], m.beyond[i])]))]),
    ),
  );
  io.out("* beyond twice the difference's standard error (more than run-to-run spread)");
  const changed = c.rows.filter((r) => r.changed);
  io.out(`\nrows in two or more runs (matched by question): ${c.rows.length}; changed: ${changed.length}`);
  const name = c.scoreNames.find((_n) => changed.some((r) => r.runs.filter(Boolean).length > 1));
  if (!name || changed.length === 0) return;
  const delta = (r: (typeof changed)[number]) => {
    const [a, ...rest] = r.runs;
    const b = rest.find((x) => x !== null);
    return a && b && a.scores[name] !== null && b.scores[name] !== null ? (b.scores[name] as number) - (a.scores[name] as number) : 0;
  };
  const top = [...changed].sort((x, y) => Math.abs(delta(y)) - Math.abs(delta(x))).slice(0, 10);
  io.out(`largest changes in ${name} (first run → the next that has the row):`);
  io.out(
    table(
      ["question", "Δ"],
      top.map((r) => [r.question.length > 70 ? `${r.question.slice(0, 69)}…` : r.question, signed(delta(r), false)]),
    ),
  );
}

export const compareCommand: Command = {
  async run(argv: string[], io: Io) {
    const parsed = parseCommand("compare", argv, { json: { type: "boolean" }, html: { type: "string" } }, io, HELP, Number.POSITIVE_INFINITY);
    if (!parsed) return EXIT.ok;
    const { values, positionals } = parsed;
    if (positionals.length < 2) throw new UsageError("evallab compare: give two or more run folders; see --help");
    const dirs = positionals.map((p) => resolve(io.cwd, p));
    const notRuns = dirs.filter((d) => !isRunFolder(d));
    if (notRuns.length) throw new UsageError(`evallab compare: not run folders (no metrics.json and eval_results_table.json): ${notRuns.join(", ")}`);
    const comparison = compareRuns(dirs.map(readRunFolder), labels(dirs));
    const html = resolve(io.cwd, values.html ?? "compare.html");
    writeComparePage(html, comparison);
    if (values.json) io.out(JSON.stringify({ ...comparison, rows: comparison.rows.filter((r) => r.changed) }, null, 2));
    else render(comparison, io);
    io.err(`compare page: ${html}`);
    return EXIT.ok;
  },
};
