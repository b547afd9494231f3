// What every evaluation started from the command line shares (`eval` and `lab`): the bundled dataset, the
// metric loaders, and the exit code a result means.
import { resolve } from "node:path";
import { Readability } from "../eval/metrics/readability/index.ts";
import { DEFAULT_TOXICITY_MODEL, loadToxicityScorer } from "../eval/metrics/toxicity.ts";
import type { EvalResult } from "../eval/run.ts";
import { EXIT, type Io } from "./commands/command.ts";

export const BUNDLED_DATASET = resolve(import.meta.dirname, "..", "eval", "datasets", "lab-qa.jsonl");

/** What every local evaluation loads its metrics with (`--toxicity-model`, else EVALLAB_TOXICITY_MODEL). */
export function metricLoaders(io: Io, toxicityModel?: string) {
  return {
    loadReadability: () => Readability.load({ env: io.env }),
    loadToxicity: () => loadToxicityScorer(toxicityModel ?? io.env.EVALLAB_TOXICITY_MODEL ?? DEFAULT_TOXICITY_MODEL),
    warn: (m: string) => io.err(`warning: ${m}`),
  };
}

/** 0 done · 2 a fatal setup error stopped it · 1 some rows failed. */
export function evalExitCode(result: EvalResult): number {
  return result.fatal ? EXIT.setup : result.counts.failed > 0 ? EXIT.failedRows : EXIT.ok;
}
