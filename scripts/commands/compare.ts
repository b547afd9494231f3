// `evallab compare DIR_A DIR_B`: two runs' metrics side by side with the difference (B − A).
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { METRICS_FILE } from "../../eval/report.ts";
import { table } from "../../eval/terminal.ts";
import { type Command, EXIT, type Io, parseCommand, UsageError } from "./command.ts";

const HELP = `usage: evallab compare DIR_A DIR_B [--json]

Metric by metric, the metrics.json of two result folders side by side with the difference (B − A):
for instance the local engine's results next to the cluster's (\`evallab eval --on databricks\`).`;

export interface Comparison {
  metric: string;
  a: number | null;
  b: number | null;
  diff: number | null;
}

function readMetrics(dir: string): Record<string, number> {
  const file = join(dir, METRICS_FILE);
  if (!existsSync(file)) throw new UsageError(`evallab compare: ${file} not found; pass folders written by \`evallab eval\``);
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    throw new UsageError(`evallab compare: ${file} is not valid JSON`);
  }
}

export function compareMetrics(a: Record<string, number>, b: Record<string, number>): Comparison[] {
  const names = [...Object.keys(a), ...Object.keys(b).filter((k) => !(k in a))];
  return names.map((metric) => {
    const va = typeof a[metric] === "number" ? a[metric] : null;
    const vb = typeof b[metric] === "number" ? b[metric] : null;
    return { metric, a: va, b: vb, diff: va !== null && vb !== null ? vb - va : null };
  });
}

const fmt = (v: number | null) => (v === null ? "—" : Number.isInteger(v) ? String(v) : v.toFixed(6));

export const compareCommand: Command = {
  async run(argv: string[], io: Io) {
    const parsed = parseCommand("compare", argv, { json: { type: "boolean" } }, io, HELP, 2);
    if (!parsed) return EXIT.ok;
    const { values, positionals } = parsed;
    if (positionals.length !== 2) throw new UsageError("evallab compare: give two result folders, DIR_A and DIR_B; see --help");
    const [dirA, dirB] = positionals.map((p) => resolve(io.cwd, p));
    const rows = compareMetrics(readMetrics(dirA), readMetrics(dirB));
    if (values.json) io.out(JSON.stringify(rows, null, 2));
    else {
      io.out(`A: ${dirA}\nB: ${dirB}\n`);
      io.out(
        table(
          ["metric", "A", "B", "B − A"],
          rows.map((r) => [r.metric, fmt(r.a), fmt(r.b), r.diff === null ? "—" : r.diff.toExponential(2)]),
        ),
      );
    }
    return EXIT.ok;
  },
};
