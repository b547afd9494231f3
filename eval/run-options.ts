// What a run was asked with, saved in its folder (`run.json`, never a key): `--resume DIR` alone
// continues that very run, and a resume with another dataset or other options is refused, naming the
// difference, before anything in DIR changes.
import { createHash } from "node:crypto";
import { createReadStream, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeJsonAtomic } from "./atomic-write.ts";
import type { Columns } from "./data/readers.ts";

export const RUN_OPTIONS_FILE = "run.json";

export interface RunOptions {
  data: string;
  dataSha256: string;
  columns: Columns;
  metrics: string[];
  /** Absent for a static (--predictions) run, which calls no model. */
  deployment?: string;
  endpoint?: string;
  apiVersion?: string;
  model?: string;
  maxTokens?: number;
  /** LLM-judged scorers (MLflow's names), their guidelines, and the deployment that judges. */
  scorers?: string[];
  guidelines?: string[];
  judgeDeployment?: string;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export function readRunOptions(dir: string): RunOptions | undefined {
  const file = join(dir, RUN_OPTIONS_FILE);
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as RunOptions;
  } catch {
    return undefined;
  }
}

export function writeRunOptions(dir: string, options: RunOptions): void {
  writeJsonAtomic(join(dir, RUN_OPTIONS_FILE), options);
}

/** The flag that sets each option, for messages. */
const FLAG: Record<string, string> = {
  data: "--data",
  "columns.inputs": "--inputs-column",
  "columns.targets": "--targets",
  "columns.predictions": "--predictions",
  metrics: "--metrics",
  deployment: "--deployment",
  endpoint: "--endpoint",
  apiVersion: "--api-version",
  maxTokens: "--max-tokens",
  scorers: "--scorers",
  guidelines: "--guidelines",
  judgeDeployment: "--judge-deployment",
};

const flat = (o: Partial<RunOptions>): Record<string, unknown> => {
  const { columns, ...rest } = o;
  return {
    ...rest,
    ...(columns ? { "columns.inputs": columns.inputs, "columns.targets": columns.targets, "columns.predictions": columns.predictions } : {}),
    ...(rest.metrics ? { metrics: rest.metrics.join(",") } : {}),
    ...(rest.scorers ? { scorers: rest.scorers.join(",") } : {}),
    ...(rest.guidelines ? { guidelines: rest.guidelines.join("\n") } : {}),
  };
};

/** How the options given now differ from the saved run's, one phrase each ("--data: x.jsonl, not y.jsonl"). */
export function differences(saved: RunOptions, given: Partial<RunOptions>): string[] {
  const s = flat(saved);
  return Object.entries(flat(given))
    .filter(([k, v]) => v !== undefined && k in FLAG && s[k] !== v)
    .map(([k, v]) => `${FLAG[k]} is ${JSON.stringify(v)} now, ${s[k] === undefined ? "unset" : JSON.stringify(s[k])} in the run`);
}
