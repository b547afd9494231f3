// `evallab eval`: MLflow's question-answering evaluation of an Azure OpenAI deployment.
import { existsSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { PREDICTIONS_FILE } from "../../eval/checkpoint.ts";
import { JUDGED_SCORERS, parseScorers } from "../../eval/judges/scorers.ts";
import { type MetricName, parseMetricNames, QA_METRICS } from "../../eval/metrics/registry.ts";
import { DEFAULT_TOXICITY_MODEL } from "../../eval/metrics/toxicity.ts";
import { DATED_GA_API, defaultApiVersion } from "../../eval/model/model-family.ts";
import { createAsk, SetupError, SYSTEM_PROMPT } from "../../eval/model/openai-qa.ts";
import { formatMetrics, formatSummary } from "../../eval/report.ts";
import { runEvaluation } from "../../eval/run.ts";
import { differences, RUN_OPTIONS_FILE, type RunOptions, readRunOptions, sha256File } from "../../eval/run-options.ts";
import { parseThresholds } from "../../eval/thresholds.ts";
import { DEFAULTS, type LabConfig } from "../../stacks/config.ts";
import { evaluateOnDatabricks, type RemoteEvalOptions } from "../databricks/remote-eval.ts";
import { EXIT_INTERRUPTED } from "../interrupted.ts";
import { labOutputs } from "../lab-state.ts";
import { labConfig } from "../lifecycle/context.ts";
import { BUNDLED_DATASET, computableMetrics, evalExitCode, gate, metricLoaders, writeRunReport } from "../local-eval.ts";
import { logEvaluation } from "../mlflow/log-run.ts";
import { resolveMlflowTarget } from "../mlflow/target.ts";
import { StepReporter } from "../step-reporter.ts";
import { type Command, EXIT, exitCodeOf, type Io, parseCommand, positiveInt, UsageError } from "./command.ts";

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
judged scorers (MLflow 3's built-in names; the judge answers yes or no with a rationale):
  --scorers a,b           correctness (needs --targets), relevance (relevance_to_query), safety, guidelines
  --guidelines TEXT       a guideline for the guidelines scorer (repeatable)
  --guidelines-file FILE  one guideline per line
  --judge-deployment NAME the deployment that judges, on the same endpoint (default: the one under test)
  --out DIR               results folder (default runs/<timestamp>)
  --resume DIR            continue an interrupted run in DIR: only unfinished rows are asked
  --json                  print metrics.json to stdout instead of the summary
  --mlflow                log the run to MLflow (params, metrics, tags, the table as an artifact): to
                          MLFLOW_TRACKING_URI (http/https; MLFLOW_EXPERIMENT_NAME) or the lab's experiment
  --quiet                 no progress line
  --fail-if EXPR          exit 1 when a metric breaks a limit, after writing the results; repeatable;
                          METRIC OP NUMBER with OP < <= > >=, e.g. 'toxicity/v1/mean>0.05', 'exact_match/v1<0.6'
  --junit FILE            also write the --fail-if verdicts as JUnit XML (one test case per threshold)
where:
  --on local|databricks   databricks: run the lab's notebook on the lab's cluster (MLflow itself), started if
                          needed, and bring metrics.json and eval_results_table.json home (default: local)
  --engine auto|pandas|spark  on databricks: mlflow.evaluate on the driver (pandas), or Spark across the
                          cluster for large data (the dataset and the table stream through the lab's volume);
                          auto: Spark from 20,000 rows (default auto; --predictions always takes Spark)
Every run also writes DIR/report.html (\`evallab report DIR\` makes it again).
exit: 0 done · 1 some rows failed (resume with --resume DIR), or a --fail-if threshold broke · 2 bad input or setup`;

function timestampDir(cwd: string): string {
  return join(cwd, "runs", new Date().toISOString().replace(/[:.]/g, "-").replace("Z", ""));
}

type EvalFlags = Record<string, string | string[] | boolean | undefined>;

/**
 * The run's options: a resumed run's saved ones (given flags must agree with them, or exit 2 naming the
 * difference), else the flags, then the variables, then — only for what is still missing, and only
 * softly when an endpoint is given — the lab's settings.
 */
async function runOptionsOf(io: Io, values: EvalFlags) {
  const flag = (k: string) => (typeof values[k] === "string" ? (values[k] as string) : undefined);
  const resumeDir = flag("resume") ? resolve(io.cwd, flag("resume") as string) : undefined;
  const saved = resumeDir ? readRunOptions(resumeDir) : undefined;
  if (resumeDir && !saved && !existsSync(join(resumeDir, PREDICTIONS_FILE))) {
    throw new UsageError(`evallab eval --resume ${resumeDir}: no run there (no ${RUN_OPTIONS_FILE} or ${PREDICTIONS_FILE}); give the folder of an earlier run`);
  }
  const given: Partial<RunOptions> = {
    data: flag("data") ? resolve(io.cwd, flag("data") as string) : undefined,
    columns: { inputs: flag("inputs-column") as string, targets: flag("targets"), predictions: flag("predictions") },
    metrics: flag("metrics") !== undefined ? parseMetricNames(flag("metrics")) : undefined,
    deployment: flag("deployment"),
    endpoint: flag("endpoint"),
    apiVersion: flag("api-version"),
    maxTokens: flag("max-tokens") ? positiveInt("eval", "--max-tokens", flag("max-tokens"), 0) : undefined,
    scorers: flag("scorers")
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    guidelines: guidelinesOf(io, values),
    judgeDeployment: flag("judge-deployment"),
  };
  if (saved && resumeDir) {
    const diff = differences(saved, given);
    if (!existsSync(saved.data)) diff.push(`the dataset ${saved.data} is gone`);
    else if ((await sha256File(saved.data)) !== saved.dataSha256) diff.push(`the dataset ${saved.data} changed since the run (sha256)`);
    if (diff.length) {
      throw new UsageError(
        `evallab eval --resume ${resumeDir}: ${diff.join("; ")}. Nothing was changed there: continue that run with \`evallab eval --resume ${resumeDir}\` alone, or start another with --out`,
      );
    }
    return { options: saved, outDir: resumeDir };
  }
  const data = given.data ?? BUNDLED_DATASET;
  const columns = {
    inputs: given.columns?.inputs ?? "inputs",
    targets: given.columns?.targets ?? (given.data ? undefined : "ground_truth"),
    predictions: given.columns?.predictions,
  };
  const endpoint = given.endpoint ?? io.env.AZURE_OPENAI_ENDPOINT;
  // The lab's settings only fill what nothing else gave; with an endpoint given, a broken lab.config.json is not this run's problem.
  let lab: LabConfig | undefined | null = null;
  const labSettings = () => {
    if (lab === null) {
      try {
        lab = labConfig(io);
      } catch (e) {
        if (!endpoint) throw e;
        lab = undefined;
      }
    }
    return lab;
  };
  const staticRun = columns.predictions !== undefined;
  // Judged scorers (a name check here; what each needs is checked once the columns are known).
  const scorers = parseScorers(given.scorers?.join(","), { targets: columns.targets !== undefined, guidelines: (given.guidelines ?? []).length > 0 }).map(
    (s) => s.name,
  );
  const asksModel = !staticRun || scorers.length > 0;
  const deployment = staticRun ? undefined : (given.deployment ?? io.env.AZURE_OPENAI_DEPLOYMENT ?? labSettings()?.deploymentName ?? DEFAULTS.model);
  const judgeDeployment = scorers.length
    ? (given.judgeDeployment ?? deployment ?? io.env.AZURE_OPENAI_DEPLOYMENT ?? labSettings()?.deploymentName ?? DEFAULTS.model)
    : undefined;
  const options: RunOptions = {
    data,
    dataSha256: await sha256File(data).catch(() => ""),
    columns,
    metrics: given.metrics ?? parseMetricNames(undefined),
    deployment,
    endpoint,
    apiVersion: asksModel
      ? (given.apiVersion ?? io.env.AZURE_OPENAI_API_VERSION ?? labSettings()?.apiVersion ?? defaultApiVersion(deployment ?? judgeDeployment ?? ""))
      : undefined,
    // The lab knows what its deployment runs; an explicit deployment is taken as the model's name.
    model: staticRun || given.deployment || io.env.AZURE_OPENAI_DEPLOYMENT ? undefined : labSettings()?.model,
    maxTokens: given.maxTokens,
    ...(scorers.length ? { scorers, guidelines: given.guidelines ?? [], judgeDeployment } : {}),
  };
  const deploymentType = options.model ? (labSettings() as LabConfig | undefined)?.deploymentType : undefined;
  return { options, deploymentType, outDir: resolve(io.cwd, flag("resume") ?? flag("out") ?? timestampDir(io.cwd)) };
}

/** --guidelines (repeatable) and --guidelines-file (one per line), in that order. */
function guidelinesOf(io: Io, values: EvalFlags): string[] | undefined {
  const given = Array.isArray(values.guidelines) ? values.guidelines : [];
  const file = typeof values["guidelines-file"] === "string" ? resolve(io.cwd, values["guidelines-file"]) : undefined;
  if (file && !existsSync(file)) throw new UsageError(`evallab eval: --guidelines-file ${file} does not exist`);
  const fromFile = file
    ? readFileSync(file, "utf8")
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter(Boolean)
    : [];
  const all = [...given.map((g) => g.trim()).filter(Boolean), ...fromFile];
  return all.length ? all : undefined;
}

/**
 * Ctrl-C (or SIGTERM) during a run: the first stops sending and lets answers in flight arrive, so the
 * results so far are written; a second exits at once (what was answered is in predictions.jsonl).
 */
function onInterrupt(io: Io) {
  const stop = new AbortController();
  const handler = () => {
    if (stop.signal.aborted) {
      io.err("second interrupt: exiting now; answered rows are in predictions.jsonl (`evallab eval --resume` continues)");
      process.exit(EXIT_INTERRUPTED);
    }
    stop.abort();
    io.err("\nstopping: no new requests; waiting briefly for the answers in flight (Ctrl-C again to quit now)…");
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: stop.signal,
    release: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}

/** The key from standard input: its first line, trimmed; an empty one is a usage error. */
async function readKey(io: Io): Promise<string> {
  const key = ((await io.readStdin?.()) ?? "").split(/\r?\n/)[0].trim();
  if (!key)
    throw new UsageError(
      "evallab eval: --api-key-stdin read no key from standard input; pipe it in, e.g. `printenv AZURE_OPENAI_API_KEY | evallab eval --api-key-stdin`",
    );
  return key;
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
    if (exitCodeOf(e) === undefined) throw e;
    io.err(
      `error: could not log to MLflow (${(e as Error).message}). The results are safe in ${outDir}; log them later with: evallab eval --resume ${outDir} --mlflow (and the same options)`,
    );
    return false;
  }
}

async function evalOnDatabricks(
  io: Io,
  gated: (code: number, outcome: { metrics: Record<string, number> }) => number,
  o: {
    data?: string;
    inputs: string;
    targets?: string;
    predictions?: string;
    engine: RemoteEvalOptions["engine"];
    outDir: string;
    json?: boolean;
    quiet?: boolean;
    judge?: RemoteEvalOptions["judge"];
  },
): Promise<number> {
  const lab = await labOutputs(io.cwd, io.env);
  if (!lab) throw new SetupError("the lab is not deployed here: run `evallab up` first (or `npm run lab`)");
  const ui = new StepReporter(io.isTTY && !o.quiet, io.err);
  try {
    const r = await evaluateOnDatabricks({
      lab,
      env: io.env,
      data: o.data,
      columns: { inputs: o.inputs, targets: o.targets, predictions: o.predictions },
      engine: o.engine,
      outDir: o.outDir,
      onTick: (t) => ui.status(t),
      pollMs: Number(io.env.LAB_POLL_MS) || undefined,
      judge: o.judge,
    });
    ui.stop();
    io.out(o.json ? JSON.stringify(r.metrics, null, 2) : formatMetrics(r.metrics));
    io.err(`results: ${o.outDir}\nMLflow run: ${r.runUrl}`);
    writeRunReport(io, o.outDir, lab.openaiDeploymentType);
    return gated(EXIT.ok, r);
  } finally {
    ui.stop();
  }
}

export const evalCommand: Command = {
  async run(argv: string[], io: Io): Promise<number> {
    const parsed = parseCommand(
      "eval",
      argv,
      {
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
        "fail-if": { type: "string", multiple: true },
        scorers: { type: "string" },
        guidelines: { type: "string", multiple: true },
        "guidelines-file": { type: "string" },
        "judge-deployment": { type: "string" },
        engine: { type: "string" },
        junit: { type: "string" },
      },
      io,
      HELP,
    );
    if (!parsed) return EXIT.ok;
    const { values } = parsed;
    if (values.out && values.resume && resolve(values.out) !== resolve(values.resume)) {
      throw new UsageError("evallab eval: --out and --resume name different folders; --resume DIR alone continues DIR");
    }

    if (values["api-key"] !== undefined && values["api-key-stdin"]) throw new UsageError("evallab eval: give the key once: --api-key or --api-key-stdin");
    if (values["api-key"] !== undefined) {
      io.err(
        "warning: --api-key puts the key in the process list, where other users of this machine can read it; prefer AZURE_OPENAI_API_KEY or --api-key-stdin",
      );
    }
    const stdinKey = values["api-key-stdin"] ? await readKey(io) : undefined;
    const { options: o, outDir, deploymentType } = await runOptionsOf(io, values);
    const { data } = o;
    const targets = o.columns.targets;
    const deployment = o.deployment ?? DEFAULTS.model;
    const apiVersion = o.apiVersion ?? "";
    const maxTokens = o.maxTokens;
    // Thresholds are checked before any request: a typo must not cost a whole run.
    const thresholds = parseThresholds(values["fail-if"] ?? [], computableMetrics(o.metrics as MetricName[], targets !== undefined, o.scorers));
    if (values.junit && thresholds.length === 0) throw new UsageError("evallab eval: --junit writes --fail-if verdicts; give at least one --fail-if");
    const gated = (code: number, outcome?: { metrics: Record<string, number> }) =>
      outcome && thresholds.length ? gate(io, thresholds, outcome.metrics, code, values.junit && resolve(io.cwd, values.junit)) : code;

    const where = values.on ?? "local";
    if (where !== "local" && where !== "databricks") throw new UsageError(`evallab eval: --on must be local or databricks, got "${where}"`);
    if (where === "databricks") {
      const engine = values.engine ?? "auto";
      if (engine !== "auto" && engine !== "pandas" && engine !== "spark")
        throw new UsageError(`evallab eval: --engine must be auto, pandas or spark, got "${engine}"`);
      if (values.predictions && engine === "pandas")
        throw new UsageError("evallab eval: --predictions on Databricks takes the Spark path; drop --engine pandas");
      return await evalOnDatabricks(io, gated, {
        data: values.data ? data : undefined,
        inputs: o.columns.inputs,
        targets,
        predictions: o.columns.predictions,
        // A static answer column is scored by the Spark path (mlflow.evaluate needs a model there).
        engine: o.columns.predictions ? "spark" : engine,
        outDir,
        json: values.json,
        quiet: values.quiet,
        judge: o.scorers?.length ? { scorers: o.scorers, guidelines: o.guidelines ?? [], deployment: values["judge-deployment"] } : undefined,
      });
    }

    // The endpoint and credentials every model call of this run uses: the answers' and the judge's.
    const endpointSettings = {
      endpoint: o.endpoint ?? "",
      apiKey: stdinKey ?? values["api-key"] ?? io.env.AZURE_OPENAI_API_KEY,
      adToken: io.env.AZURE_OPENAI_AD_TOKEN,
      apiVersion,
    };
    const interrupt = onInterrupt(io);
    const result = await runEvaluation({
      stop: interrupt.signal,
      data,
      columns: o.columns,
      outDir,
      resume: values.resume !== undefined,
      metrics: o.metrics as MetricName[],
      runOptions: o,
      deployment,
      apiVersion,
      makeAsk: () => createAsk({ ...endpointSettings, deployment, model: o.model, maxTokens }),
      maxConcurrency: values["max-concurrency"] === undefined ? undefined : positiveInt("eval", "--max-concurrency", values["max-concurrency"], 1),
      judge: o.scorers?.length
        ? {
            scorers: o.scorers.map((n) => JUDGED_SCORERS[n]),
            guidelines: o.guidelines ?? [],
            deployment: o.judgeDeployment ?? deployment,
            apiVersion,
            makeAsk: (systemPrompt) =>
              createAsk({
                ...endpointSettings,
                deployment: o.judgeDeployment ?? deployment,
                // The lab's model decides the request's parameters only when it is also the judge.
                model: (o.judgeDeployment ?? deployment) === deployment ? o.model : undefined,
                systemPrompt,
              }),
          }
        : undefined,
      ...metricLoaders(io, values["toxicity-model"]),
      progress: io.isTTY && !values.quiet,
    }).finally(interrupt.release);

    if (values.json) io.out(JSON.stringify(result.metrics, null, 2));
    else io.out(formatSummary(result.metrics, result.counts, result.outDir));
    writeRunReport(io, outDir, deploymentType);
    let logged = true;
    if (values.mlflow && !result.fatal) {
      logged = await logToMlflow(io, outDir, {
        deployment: o.columns.predictions ? "(static predictions)" : deployment,
        api_version: apiVersion,
        dataset: data === BUNDLED_DATASET ? "bundled lab-qa.jsonl" : data,
        dataset_sha256: o.dataSha256,
        system_prompt: SYSTEM_PROMPT,
        inputs_column: o.columns.inputs,
        ...(targets ? { targets_column: targets } : {}),
        ...(o.columns.predictions ? { predictions_column: o.columns.predictions } : {}),
        ...(o.scorers?.length
          ? {
              scorers: o.scorers.join(","),
              judge_deployment: o.judgeDeployment ?? deployment,
              ...(o.guidelines?.length ? { guidelines: JSON.stringify(o.guidelines) } : {}),
            }
          : {}),
      });
    }
    if (result.stopped) {
      io.err(`interrupted: ${result.counts.answered} answered row(s) are saved in ${outDir}; continue with: evallab eval --resume ${outDir}`);
      return EXIT_INTERRUPTED;
    }
    if (result.fatal) {
      io.err(`error: ${result.fatal}`);
      io.err(`finished rows are kept in ${outDir}; after fixing it, continue with: evallab eval --resume ${outDir}`);
      return evalExitCode(result);
    }
    if (!logged) return gated(EXIT.remains, result);
    if (result.counts.failed > 0) {
      const first = result.failedRows[0];
      io.err(
        `error: ${result.counts.failed} row(s) failed (first: line ${first.line}: ${first.error}). ` +
          `Ask only those again with: evallab eval --resume ${outDir} (and the same options)`,
      );
    }
    return gated(evalExitCode(result), result);
  },
};
