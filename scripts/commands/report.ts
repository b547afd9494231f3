// `evallab report DIR`: (re)write DIR/report.html from a run's results.
import { resolve } from "node:path";
import { readRunFolder } from "../../eval/html/run-folder.ts";
import { writeReportOf } from "../local-eval.ts";
import { type Command, CommandError, EXIT, parseCommand, UsageError } from "./command.ts";

const HELP = `usage: evallab report DIR

Writes DIR/report.html from the results \`evallab eval\` left in DIR: one self-contained page that opens
offline (the run, MLflow's aggregates, a histogram per score metric with mean and p90, and every row,
sortable and filterable). \`evallab eval\` writes it too; this makes it again, e.g. for an older run.
exit: 0 written · 2 DIR is not a run's folder`;

export const reportCommand: Command = {
  async run(argv, io) {
    const parsed = parseCommand("report", argv, {}, io, HELP, 1);
    if (!parsed) return EXIT.ok;
    const [dir] = parsed.positionals;
    if (!dir) throw new UsageError("evallab report: give the run's folder, e.g. evallab report runs/2026-11-29T10-00-00");
    const folder = resolve(io.cwd, dir);
    // A folder that is not a run (or whose results cannot be read) is exit 2, named, before anything is written.
    const run = readRunFolder(folder);
    try {
      writeReportOf(io, run);
    } catch (e) {
      throw new CommandError(`report.html not written in ${folder}: ${(e as Error).message}`);
    }
    return EXIT.ok;
  },
};
