// `evallab lab` (`npm run lab`): the README's one command — up, evaluate the new deployment, summary;
// with --down, tear everything down afterwards.
import { join } from "node:path";
import { parseMetricNames } from "../../eval/metrics/registry.ts";
import { createAsk } from "../../eval/model/openai-qa.ts";
import { formatSummary } from "../../eval/report.ts";
import { runEvaluation } from "../../eval/run.ts";
import { EXIT_INTERRUPTED } from "../interrupted.ts";
import { labDown, renderDown } from "../lifecycle/down.ts";
import { labUp } from "../lifecycle/up.ts";
import { BUNDLED_DATASET, evalExitCode, metricLoaders, writeRunReport } from "../local-eval.ts";
import { acquireLock } from "../lock.ts";
import { type Command, EXIT, type Io, parseCommand, reportError } from "./command.ts";

const HELP = `usage: evallab lab [--down] [--skip-preflight]

The whole lab in one command: \`evallab up\`, then the question-answering evaluation of the new
deployment on the bundled dataset (endpoint and key passed in memory), then a summary.
  --down   tear the lab down afterwards (\`evallab down\`), whatever the evaluation's result`;

export const labCommand: Command = {
  async run(argv, io) {
    let release: (() => void) | undefined;
    try {
      return await runLab(argv, io, (r) => {
        release = r;
      });
    } finally {
      release?.();
    }
  },
};

async function runLab(argv: string[], io: Io, holdLock: (release: () => void) => void): Promise<number> {
  {
    let evalCode: number = EXIT.ok;
    let values: { down?: boolean; help?: boolean; "skip-preflight"?: boolean } = {};
    try {
      const parsed = parseCommand("lab", argv, { down: { type: "boolean" }, "skip-preflight": { type: "boolean" } }, io, HELP);
      if (!parsed) return EXIT.ok;
      values = parsed.values;
      holdLock(acquireLock(io.cwd, "lab"));
      const lab = await labUp(io, { skipPreflight: values["skip-preflight"] });
      io.err("\nevaluating the deployment on the lab's dataset…");
      const outDir = join(io.cwd, "runs", `lab-${new Date().toISOString().replace(/[:.]/g, "-")}`);
      const result = await runEvaluation({
        data: BUNDLED_DATASET,
        columns: { inputs: "inputs", targets: "ground_truth" },
        outDir,
        resume: false,
        metrics: parseMetricNames(undefined),
        deployment: lab.openaiDeployment,
        apiVersion: lab.openaiApiVersion,
        makeAsk: () =>
          createAsk({
            endpoint: lab.openaiEndpoint,
            apiKey: lab.openaiApiKey,
            apiVersion: lab.openaiApiVersion,
            deployment: lab.openaiDeployment,
            model: lab.openaiModel,
          }),
        ...metricLoaders(io),
        progress: io.isTTY,
      });
      io.out(formatSummary(result.metrics, result.counts, result.outDir));
      writeRunReport(io, result.outDir, lab.openaiDeploymentType);
      if (result.fatal) io.err(`error: ${result.fatal}`);
      evalCode = evalExitCode(result);
    } catch (e) {
      evalCode = reportError(e, io);
    }
    // Ctrl-C stops the whole command: nothing is torn down behind the user's back.
    if (values.down && evalCode !== EXIT_INTERRUPTED && evalCode !== EXIT.setup) {
      try {
        io.err("\ntearing the lab down…");
        const report = await labDown(io);
        io.out(renderDown(report));
        if (report.remaining.length) return EXIT.remains;
      } catch (e) {
        return reportError(e, io);
      }
    }
    return evalCode;
  }
}
