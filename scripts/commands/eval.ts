// `evallab eval`: MLflow's question-answering evaluation of an Azure OpenAI deployment.
import { basename, join, resolve } from "node:path";
import { DEFAULTS } from "../../stacks/config.ts";
import { DataError } from "../../eval/data/readers.ts";
import { Readability } from "../../eval/metrics/readability/index.ts";
import { MetricSelectionError, QA_METRICS, parseMetricNames } from "../../eval/metrics/registry.ts";
import { DEFAULT_TOXICITY_MODEL, loadToxicityScorer } from "../../eval/metrics/toxicity.ts";
import { DATED_GA_API } from "../../eval/model/model-family.ts";
import { SYSTEM_PROMPT, SetupError, createAsk } from "../../eval/model/openai-qa.ts";
import { MlflowError } from "../mlflow/client.ts";
import { logEvaluation, sha256File } from "../mlflow/log-run.ts";
import { resolveMlflowTarget } from "../mlflow/target.ts";
import { formatMetrics, formatSummary } from "../../eval/report.ts";
import { DatabricksError } from "../databricks/client.ts";
import { ClusterWaitError } from "../databricks/cluster.ts";
import { RemoteEvalError, evaluateOnDatabricks } from "../databricks/remote-eval.ts";
import { OutputsError } from "../cdktf-runner.ts";
import { labOutputs } from "../lab-state.ts";
import { StepReporter } from "../step-reporter.ts";
import { type EvalResult, runEvaluation } from "../../eval/run.ts";
import { type Command, EXIT, type Io, UsageError, parseCommand, positiveInt } from "./command.ts";
import { LabSetupError, labConfig } from "./lab-context.ts";

export const BUNDLED_DATASET = resolve(import.meta.dirname, "..", "..", "eval", "datasets", "lab-qa.jsonl");

const HELP = `usage: evallab eval [options]

Ask an Azure OpenAI deployment each question and compute MLflow's question-answering metrics
(${QA_METRICS.join(", ")}), or score an existing answer column without any model.

data:
  --data FILE             .jsonl or .csv (default: the lab's bundled two-row dataset)
  --inputs-column COL     question column (default: inputs)
  --targets COL           expected-answer column; adds exact_match (default for the bundled data: ground_truth)
  --predictions COL       score this answer column, call no model (MLflow's static dataset mode)
model (flags override the variables):
  --endpoint URL          AZURE_OPENAI_ENDPOINT
  --api-key-stdin         read the key from standard input (e.g. \`… | evallab eval --api-key-stdin\`)
  --api-key KEY           AZURE_OPENAI_API_KEY; on the command line the process list shows it (prefer the
                          variable or --api-key-stdin). Without a key: Microsoft Entra ID (az login / managed identity)
  --api-version V         AZURE_OPENAI_API_VERSION: a dated version, or v1 for the GA v1 API (default: the
                          lab's — ${DATED_GA_API} for the models it serves, else v1)
  --deployment NAME       the configured deployment name (LAB_DEPLOYMENT_NAME; default ${DEFAULTS.model})
  --max-concurrency N     cap on requests in flight (default: none; the deployment's reported budget sizes it)
  --max-tokens N          answer length limit (sent as max_completion_tokens to reasoning models; default: the service's)
metrics and output:
  --metrics a,b,c         subset of: ${QA_METRICS.join(", ")}
  --toxicity-model ID     hub id or local ONNX folder (default ${DEFAULT_TOXICITY_MODEL})
  --out DIR               results folder (default runs/<timestamp>)
  --resume DIR            continue an interrupted run in DIR: only unfinished rows are asked
  --json                  print metrics.json to stdout instead of the summary
  --mlflow                log the run to MLflow (params, metrics, tags, the table as an artifact): to
                          MLFLOW_TRACKING_URI (http/https; MLFLOW_EXPERIMENT_NAME) or the lab's experiment
  --quiet                 no progress line
where:
  --on local|databricks   databricks: run the lab's notebook on the lab's cluster (MLflow itself), started if
                          needed, and bring metrics.json and eval_results_table.json home (default: local)
exit: 0 done · 1 some rows failed (resume with --resume DIR) · 2 bad input or setup`;

function timestampDir(cwd: string): string {
  return join(cwd, "runs", new Date().toISOString().replace(/[:.]/g, "-").replace("Z", ""));
}

/** What every local evaluation loads its metrics with (`--toxicity-model`, else EVALLAB_TOXICITY_MODEL). */
export function metricLoaders(io: Io, toxicityModel?: string) {
  return {
    loadReadability: () => Readability.load({ env: io.env }),
    loadToxicity: () => loadToxicityScorer(toxicityModel ?? io.env.EVALLAB_TOXICITY_MODEL ?? DEFAULT_TOXICITY_MODEL),
    warn: (m: string) => io.err(`warning: ${m}`),
  };
}

/** The key from standard input: its first line, trimmed; an empty one is a usage error. */
async function readKey(io: Io): Promise<string> {
  const key = ((await io.readStdin?.()) ?? "").split(/\r?\n/)[0].trim();
  if (!key) throw new UsageError("evallab eval: --api-key-stdin read no key from standard input; pipe it in, e.g. `printenv AZURE_OPENAI_API_KEY | evallab eval --api-key-stdin`");
  return key;
}

/** 0 done · 2 a fatal setup error stopped it · 1 some rows failed. */
export function evalExitCode(result: EvalResult): number {
  return result.fatal ? EXIT.setup : result.counts.failed > 0 ? EXIT.failedRows : EXIT.ok;
}

/** Log the finished local results; a failure is reported, never fatal to the results on disk. */
async function logToMlflow(io: Io, outDir: string, params: Record<string, string>): Promise<boolean> {
  try {
    const target = await resolveMlflowTarget(io.cwd, io.env);
    const { runId, experimentId } = await logEvaluation(target.client, {
      experimentId: target.experimentId,
      runName: `evallab ${basename(outDir)}`,
      outDir,
      params,
    });
    io.err(`MLflow run: ${target.runUrl(experimentId, runId)}`);
    return true;
  } catch (e) {
    if (!(e instanceof MlflowError || e instanceof DatabricksError || e instanceof OutputsError)) throw e;
    io.err(`error: could not log to MLflow (${e.message}). The results are safe in ${outDir}; log them later with: evallab eval --resume ${outDir} --mlflow (and the same options)`);
    return false;
  }
}

async function evalOnDatabricks(
  io: Io,
  o: { data?: string; inputs: string; targets?: string; outDir: string; json?: boolean; quiet?: boolean },
): Promise<number> {
  const lab = await labOutputs(io.cwd, io.env);
  if (!lab) throw new SetupError("the lab is not deployed here: run `evallab up` first (or `npm run lab`)");
  const ui = new StepReporter(io.isTTY && !o.quiet, io.err);
  try {
    const r = await evaluateOnDatabricks({
      lab,
      env: io.env,
      data: o.data,
      columns: { inputs: o.inputs, targets: o.targets },
      outDir: o.outDir,
      onTick: (t) => ui.status(t),
      pollMs: Number(io.env.LAB_POLL_MS) || undefined,
    });
    ui.stop();
    io.out(o.json ? JSON.stringify(r.metrics, null, 2) : formatMetrics(r.metrics));
    io.err(`results: ${o.outDir}\nMLflow run: ${r.runUrl}`);
    return EXIT.ok;
  } finally {
    ui.stop();
  }
}

export const evalCommand: Command = {
  async run(argv: string[], io: Io): Promise<number> {
    try {
      const parsed = parseCommand("eval", argv, {
        data: { type: "string" },
        "inputs-column": { type: "string" },
        targets: { type: "string" },
        predictions: { type: "string" },
        endpoint: { type: "string" },
        "api-key": { type: "string" },
        "api-key-stdin": { type: "boolean" },
        "api-version": { type: "string" },
        deployment: { type: "string" },
        "max-concurrency": { type: "string" },
        "max-tokens": { type: "string" },
        metrics: { type: "string" },
        "toxicity-model": { type: "string" },
        out: { type: "string" },
        resume: { type: "string" },
        json: { type: "boolean" },
        quiet: { type: "boolean" },
        on: { type: "string" },
        mlflow: { type: "boolean" },
      }, io, HELP);
      if (!parsed) return EXIT.ok;
      const { values } = parsed;
      if (values.out && values.resume && resolve(values.out) !== resolve(values.resume)) {
        throw new UsageError("evallab eval: --out and --resume name different folders; --resume DIR alone continues DIR");
      }

      if (values["api-key"] !== undefined && values["api-key-stdin"]) throw new UsageError("evallab eval: give the key once: --api-key or --api-key-stdin");
      if (values["api-key"] !== undefined) {
        io.err("warning: --api-key puts the key in the process list, where other users of this machine can read it; prefer AZURE_OPENAI_API_KEY or --api-key-stdin");
      }
      const stdinKey = values["api-key-stdin"] ? await readKey(io) : undefined;
      const config = labConfig(io, false);
      const data = values.data ? resolve(io.cwd, values.data) : BUNDLED_DATASET;
      const targets = values.targets ?? (values.data ? undefined : "ground_truth");
      const deployment = values.deployment ?? config.deploymentName;
      const apiVersion = values["api-version"] ?? io.env.AZURE_OPENAI_API_VERSION ?? config.apiVersion;
      const maxTokens = values["max-tokens"] ? positiveInt("eval", "--max-tokens", values["max-tokens"], 0) : undefined;
      const outDir = resolve(io.cwd, values.resume ?? values.out ?? timestampDir(io.cwd));

      const where = values.on ?? "local";
      if (where !== "local" && where !== "databricks") throw new UsageError(`evallab eval: --on must be local or databricks, got "${where}"`);
      if (where === "databricks") {
        if (values.predictions) throw new UsageError("evallab eval: --predictions scores locally; drop --on databricks");
        return await evalOnDatabricks(io, { data: values.data ? data : undefined, inputs: values["inputs-column"] ?? "inputs", targets, outDir, json: values.json, quiet: values.quiet });
      }

      const result = await runEvaluation({
        data,
        columns: { inputs: values["inputs-column"] ?? "inputs", targets, predictions: values.predictions },
        outDir,
        resume: values.resume !== undefined,
        metrics: parseMetricNames(values.metrics),
        deployment,
        apiVersion,
        makeAsk: () =>
          createAsk({
            endpoint: values.endpoint ?? io.env.AZURE_OPENAI_ENDPOINT ?? "",
            apiKey: stdinKey ?? values["api-key"] ?? io.env.AZURE_OPENAI_API_KEY,
            adToken: io.env.AZURE_OPENAI_AD_TOKEN,
            apiVersion,
            deployment,
            // The lab knows what its deployment runs; an explicit --deployment is taken as the model's name.
            model: values.deployment ? undefined : config.model,
            maxTokens,
          }),
        maxConcurrency: values["max-concurrency"] === undefined ? undefined : positiveInt("eval", "--max-concurrency", values["max-concurrency"], 1),
        ...metricLoaders(io, values["toxicity-model"]),
        progress: io.isTTY && !values.quiet,
      });

      if (values.json) io.out(JSON.stringify(result.metrics, null, 2));
      else io.out(formatSummary(result.metrics, result.counts, result.outDir));
      let logged = true;
      if (values.mlflow && !result.fatal) {
        logged = await logToMlflow(io, outDir, {
          deployment: values.predictions ? "(static predictions)" : deployment,
          api_version: apiVersion,
          dataset: values.data ? data : "bundled lab-qa.jsonl",
          dataset_sha256: await sha256File(data),
          system_prompt: SYSTEM_PROMPT,
          inputs_column: values["inputs-column"] ?? "inputs",
          ...(targets ? { targets_column: targets } : {}),
          ...(values.predictions ? { predictions_column: values.predictions } : {}),
        });
      }
      if (result.fatal) {
        io.err(`error: ${result.fatal}`);
        io.err(`finished rows are kept in ${outDir}; after fixing it, continue with: evallab eval --resume ${outDir}`);
        return evalExitCode(result);
      }
      if (!logged) return EXIT.remains;
      if (result.counts.failed > 0) {
        const first = result.failedRows[0];
        io.err(
          `error: ${result.counts.failed} row(s) failed (first: line ${first.line}: ${first.error}). ` +
            `Ask only those again with: evallab eval --resume ${outDir} (and the same options)`,
        );
      }
      return evalExitCode(result);
    } catch (e) {
      if (e instanceof RemoteEvalError || e instanceof DatabricksError || e instanceof ClusterWaitError || e instanceof OutputsError) {
        io.err(`error: ${e.message}`);
        return EXIT.remains;
      }
      if (e instanceof UsageError || e instanceof DataError || e instanceof SetupError || e instanceof MetricSelectionError || e instanceof LabSetupError) {
        io.err(`error: ${e.message}`);
        return EXIT.usage;
      }
      throw e;
    }
  },
};
