// `evallab eval`: rows ► answers (checkpointed) ► metrics ► reports. No cloud needed for --predictions.
import { existsSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { cacheKey, PREDICTIONS_FILE, PredictionStore } from "./checkpoint.ts";
import { type Columns, type QaRow, readQaRows } from "./data/readers.ts";
import { JUDGEMENTS_FILE, type JudgeSettings, judgeAll, materialOf, type VerdictCells, verdictCells } from "./judges/judge-phase.ts";
import type { JudgedScorer } from "./judges/scorers.ts";
import { npMean } from "./metrics/aggregations.ts";
import type { Readability } from "./metrics/readability/index.ts";
import { buildMetrics, type MetricName } from "./metrics/registry.ts";
import type { LabelScorer } from "./metrics/toxicity.ts";
import type { Metric, ScoredRow } from "./metrics/types.ts";
import { type Ask, type ModelError, SetupError, SYSTEM_PROMPT } from "./model/openai-qa.ts";
import { METRICS_FILE, type RunCounts, type RunSummary, SUMMARY_FILE, TABLE_FILE, TableWriter, writeJson } from "./report.ts";
import { runPhase } from "./request-phase.ts";
import { type RunOptions, readRunOptions, writeRunOptions } from "./run-options.ts";

export interface EvalOptions {
  data: string;
  columns: Columns;
  outDir: string;
  resume: boolean;
  metrics: MetricName[];
  /** Model identity for cache keys (required unless `columns.predictions`). */
  deployment: string;
  apiVersion: string;
  /** Creates the model caller lazily: static-dataset runs never need credentials. */
  makeAsk: () => Ask;
  /** A cap on requests in flight; none by default (the deployment's reported budget sizes it). */
  maxConcurrency?: number;
  /** Saved in the run's folder when it starts (what `--resume DIR` alone continues with). */
  runOptions?: RunOptions;
  /** Ctrl-C: stop sending, keep what was answered, write the results so far. */
  stop?: AbortSignal;
  loadReadability: () => Promise<Readability>;
  loadToxicity: () => Promise<{ scorer?: LabelScorer; warning?: string }>;
  progress: boolean;
  warn: (message: string) => void;
  /** LLM-judged scorers (`--scorers`), asked after the answers. */
  judge?: JudgeSettings;
}

export interface EvalResult {
  metrics: Record<string, number>;
  counts: RunCounts;
  outDir: string;
  failedRows: { index: number; line: number; error: string }[];
  fatal?: string;
  /** Interrupted (Ctrl-C): unasked rows are counted as failed; `--resume` asks them. */
  stopped?: boolean;
}

const SCORE_BATCH = 256;

/** Validate every row before any model call (a bad line 90,000 must not waste 89,999 requests). */
async function validate(opts: EvalOptions): Promise<number> {
  let n = 0;
  for await (const _ of readQaRows(opts.data, opts.columns)) n++;
  return n;
}

function prepareOutDir(opts: EvalOptions): void {
  const hasRun = existsSync(join(opts.outDir, PREDICTIONS_FILE));
  if (opts.resume && !hasRun) {
    throw new SetupError(`--resume ${opts.outDir}: no ${PREDICTIONS_FILE} there to resume; check the folder of the earlier run`);
  }
  if (existsSync(opts.outDir) && !statSync(opts.outDir).isDirectory()) {
    throw new SetupError(`${opts.outDir} is a file, not a folder; choose another --out`);
  }
  if (!opts.resume && existsSync(opts.outDir) && readdirSync(opts.outDir).length > 0) {
    throw new SetupError(`${opts.outDir} already holds results; resume it with --resume ${opts.outDir}, or choose another --out`);
  }
  mkdirSync(opts.outDir, { recursive: true });
}

export async function runEvaluation(opts: EvalOptions): Promise<EvalResult> {
  const started = Date.now();
  const total = await validate(opts);
  const staticMode = opts.columns.predictions !== undefined;
  // Settings are checked before anything is written: a bad endpoint leaves no empty run folder.
  const ask = staticMode ? undefined : opts.makeAsk();
  prepareOutDir(opts);
  if (opts.runOptions && !readRunOptions(opts.outDir)) writeRunOptions(opts.outDir, opts.runOptions);

  // Metric dependencies load while the model answers.
  const wantsReadability = opts.metrics.includes("flesch_kincaid_grade_level") || opts.metrics.includes("ari_grade_level");
  const readabilityP = wantsReadability ? opts.loadReadability() : Promise.resolve(undefined);
  const toxicityP = opts.metrics.includes("toxicity") ? opts.loadToxicity() : Promise.resolve(undefined);
  // Awaited (and their errors raised) at scoring time; this only avoids an unhandled-rejection crash meanwhile.
  readabilityP.catch(() => {});
  toxicityP.catch(() => {});

  const keyOf = (row: QaRow) => cacheKey({ deployment: opts.deployment, apiVersion: opts.apiVersion, systemPrompt: SYSTEM_PROMPT, question: row.input });

  let store: PredictionStore | undefined;
  let judgeStore: PredictionStore | undefined;
  let fatal: ModelError | undefined;
  let retries = 0;
  let fromCheckpoint = 0;
  let stopped = false;
  const failures = new Map<string, string>();
  try {
    if (ask) {
      store = PredictionStore.open(opts.outDir);
      for (const line of store.damaged) opts.warn(`${PREDICTIONS_FILE} line ${line} is damaged and was skipped; its row is asked again`);
      const outcome = await runPhase({
        items: readQaRows(opts.data, opts.columns),
        keyOf,
        indexOf: (row) => row.index,
        ask: (row, signal) => ask(row.input, signal),
        store,
        total,
        progress: opts.progress,
        maxConcurrency: opts.maxConcurrency,
        stop: opts.stop,
      });
      retries = outcome.retries;
      fromCheckpoint = outcome.fromCheckpoint;
      fatal = outcome.fatal;
      stopped = outcome.stopped;
      for (const [k, v] of outcome.failures) failures.set(k, v);
    }
    const answerOf = (row: QaRow): string | null => {
      if (staticMode) return row.prediction ?? null;
      const rec = store?.get(keyOf(row));
      return rec?.status === "ok" ? rec.output : null;
    };

    const judge = opts.judge;
    const judgeFailures = new Map<string, string>();
    if (judge && !fatal && !stopped) {
      judgeStore = PredictionStore.open(opts.outDir, JUDGEMENTS_FILE);
      for (const line of judgeStore.damaged) opts.warn(`${JUDGEMENTS_FILE} line ${line} is damaged and was skipped; its verdict is asked again`);
      async function* toJudge() {
        for await (const row of readQaRows(opts.data, opts.columns)) {
          const answer = answerOf(row);
          if (answer === null) continue;
          for (const scorer of judge?.scorers ?? []) yield { row, scorer, material: materialOf(row, answer, judge?.guidelines ?? []) };
        }
      }
      const outcome = await judgeAll(judge, {
        items: toJudge(),
        store: judgeStore,
        total: total * judge.scorers.length,
        progress: opts.progress,
        maxConcurrency: opts.maxConcurrency,
        stop: opts.stop,
      });
      retries += outcome.retries;
      fatal = outcome.fatal;
      stopped = outcome.stopped;
      for (const [k, v] of outcome.failures) judgeFailures.set(k, v);
    }

    const readability = await readabilityP;
    const toxicity = await toxicityP;
    if (toxicity?.warning) opts.warn(toxicity.warning);
    for (const w of readability?.data.warnings ?? []) opts.warn(w);
    const metrics = buildMetrics(opts.metrics, {
      readability,
      toxicity: toxicity?.scorer,
      hasTargets: opts.columns.targets !== undefined,
    });
    const tokens = { prompt: 0, completion: 0, reasoning: 0 };
    const counted = new Set<string>();
    const js = judgeStore;
    const judged =
      judge && js
        ? {
            scorers: judge.scorers,
            cells: (row: QaRow, prediction: string) =>
              judge.scorers.map((scorer) => verdictCells(judge, js, judgeFailures, { scorer, material: materialOf(row, prediction, judge.guidelines) })),
          }
        : undefined;
    const scored = await scoreAll(opts, metrics, judged, (row) => {
      if (staticMode) return { prediction: row.prediction ?? null, status: "ok" as const };
      const key = keyOf(row);
      const rec = store?.get(key);
      if (rec && !counted.has(key)) {
        // Each distinct request once (identical questions share one answer).
        counted.add(key);
        tokens.prompt += rec.prompt_tokens ?? 0;
        tokens.completion += rec.completion_tokens ?? 0;
        tokens.reasoning += rec.reasoning_tokens ?? 0;
      }
      if (rec) return { prediction: rec.output, status: rec.status, error: rec.reason };
      return { prediction: null, status: "failed" as const, error: failures.get(key) ?? (fatal || stopped ? "not asked: the run stopped" : "no answer") };
    });
    const counts = { ...scored.counts, fromCheckpoint, retries, elapsedMs: Date.now() - started };
    writeJson(join(opts.outDir, SUMMARY_FILE), {
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date().toISOString(),
      counts,
      ...(staticMode ? {} : { tokens }),
      rows: scored.marked,
      ...(fatal ? { fatal: fatal.message } : {}),
      ...(stopped ? { stopped } : {}),
    } satisfies RunSummary);
    return {
      metrics: scored.metrics,
      counts,
      outDir: opts.outDir,
      failedRows: scored.failedRows,
      fatal: fatal?.message,
      stopped,
    };
  } finally {
    store?.close();
    judgeStore?.close();
  }
}

type RowOutcome = { prediction: string | null; status: "ok" | "filtered" | "failed"; error?: string };

/** Stream the rows again with their answers: table rows out, per-metric scores kept for aggregation. */
interface Judged {
  scorers: JudgedScorer[];
  cells: (row: QaRow, prediction: string) => VerdictCells[];
}

async function scoreAll(opts: EvalOptions, metrics: Metric[], judged: Judged | undefined, outcomeOf: (row: QaRow) => RowOutcome) {
  const hasTargets = opts.columns.targets !== undefined;
  const scoreMetrics = metrics.filter((m) => m.scoreColumn);
  // Judged scorers' columns as mlflow.genai.evaluate names them: <name>/value, /rationale, /error_message.
  const judgedColumns = (judged?.scorers ?? []).flatMap((s) => [`${s.name}/value`, `${s.name}/rationale`, `${s.name}/error_message`]);
  const verdicts = (judged?.scorers ?? []).map(() => [] as number[]);
  const columns = ["inputs", ...(hasTargets ? ["ground_truth"] : []), "outputs", ...scoreMetrics.map((m) => m.scoreColumn as string), ...judgedColumns];
  const table = new TableWriter(join(opts.outDir, TABLE_FILE), columns);
  const all = metrics.map(() => [] as (number | null)[]);
  const counts = { rows: 0, answered: 0, filtered: 0, failed: 0 };
  const failedRows: EvalResult["failedRows"] = [];
  /** Rows that are not plain answers, by their position in the table, with why. */
  const marked: RunSummary["rows"] = [];

  let batch: { row: QaRow; outcome: RowOutcome }[] = [];
  const flush = async () => {
    const scoredRows: ScoredRow[] = batch.map((b) => ({ prediction: b.outcome.prediction, target: b.row.target }));
    const perMetric = await Promise.all(metrics.map((m) => m.score(scoredRows)));
    for (const [m, scores] of perMetric.entries()) all[m].push(...scores);
    batch.forEach((b, i) => {
      const scoreCells = metrics.flatMap((m, k) => (m.scoreColumn ? [perMetric[k][i]] : []));
      const judgedCells =
        judged && b.outcome.status === "ok" && b.outcome.prediction !== null
          ? judged.cells(b.row, b.outcome.prediction).flatMap((c, k) => {
              if (c.value !== null) verdicts[k].push(c.value === "yes" ? 1 : 0);
              return [c.value, c.rationale, c.error];
            })
          : judgedColumns.map(() => null);
      table.add([b.row.input, ...(hasTargets ? [b.row.target] : []), b.outcome.prediction, ...scoreCells, ...judgedCells]);
    });
    batch = [];
  };
  try {
    for await (const row of readQaRows(opts.data, opts.columns)) {
      const outcome = outcomeOf(row);
      if (outcome.status !== "ok") marked.push({ row: counts.rows, status: outcome.status, reason: outcome.error ?? outcome.status });
      counts.rows++;
      if (outcome.status === "ok") counts.answered++;
      else if (outcome.status === "filtered") counts.filtered++;
      else {
        counts.failed++;
        failedRows.push({ index: row.index, line: row.line, error: outcome.error ?? "failed" });
      }
      batch.push({ row, outcome });
      if (batch.length >= SCORE_BATCH) await flush();
    }
    await flush();
  } finally {
    table.close();
  }
  const result: Record<string, number> = {};
  for (const [i, m] of metrics.entries()) Object.assign(result, m.aggregate(all[i]));
  // mlflow.genai.evaluate's default aggregation for a judged scorer: the mean of yes = 1, no = 0.
  for (const [k, s] of (judged?.scorers ?? []).entries()) if (verdicts[k].length) result[`${s.name}/mean`] = npMean(verdicts[k]);
  writeJson(join(opts.outDir, METRICS_FILE), result);
  return { metrics: result, counts, failedRows, marked };
}
