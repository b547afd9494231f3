// The judges' phase: after the answers, each answered row goes to each judged scorer through the same
// scheduler and checkpoint (judgements.jsonl), so verdicts count in the deployment's budget and a
// resumed run re-asks none it finished. A reply that cannot be read as yes/no is asked once more, then
// kept as that row's error — never a pass.
import { cacheKey, type PredictionStore } from "../checkpoint.ts";
import type { QaRow } from "../data/readers.ts";
import type { Answer, Ask } from "../model/openai-qa.ts";
import { type PhaseOutcome, runPhase } from "../request-phase.ts";
import { JUDGE_PROMPT_VERSION, type JudgeMaterial, judgeSystemPrompt, judgeUserPrompt } from "./prompt.ts";
import type { JudgedScorer } from "./scorers.ts";
import { parseVerdict } from "./verdict.ts";

export const JUDGEMENTS_FILE = "judgements.jsonl";

export interface JudgeSettings {
  scorers: JudgedScorer[];
  guidelines: string[];
  deployment: string;
  apiVersion: string;
  /** An asker for one scorer's system prompt (created lazily, once per scorer). */
  makeAsk: (systemPrompt: string) => Ask;
}

export interface JudgeItem {
  row: QaRow;
  scorer: JudgedScorer;
  material: JudgeMaterial;
}

export function materialOf(row: QaRow, answer: string, guidelines: readonly string[]): JudgeMaterial {
  return { question: row.input, answer, expected: row.target, guidelines };
}

export function judgeKey(j: JudgeSettings, item: Pick<JudgeItem, "scorer" | "material">): string {
  return cacheKey({
    deployment: j.deployment,
    apiVersion: j.apiVersion,
    systemPrompt: `${JUDGE_PROMPT_VERSION}\n${judgeSystemPrompt(item.scorer)}`,
    question: judgeUserPrompt(item.scorer, item.material),
  });
}

/** Ask, and ask once more when the reply is not a readable verdict; the second reply stands. */
async function askForVerdict(ask: Ask, prompt: string, signal: AbortSignal): Promise<Answer> {
  const first = await ask(prompt, signal);
  if (first.kind !== "answer" || parseVerdict(first.text)) return first;
  const second = await ask(prompt, signal);
  if (second.kind !== "answer") return second;
  return {
    ...second,
    promptTokens: (first.promptTokens ?? 0) + (second.promptTokens ?? 0),
    completionTokens: (first.completionTokens ?? 0) + (second.completionTokens ?? 0),
  };
}

export function judgeAll(
  j: JudgeSettings,
  o: { items: AsyncIterable<JudgeItem>; store: PredictionStore; total: number; progress: boolean; maxConcurrency?: number; stop?: AbortSignal },
): Promise<PhaseOutcome> {
  const askers = new Map<string, Ask>();
  const askerFor = (s: JudgedScorer) => {
    let a = askers.get(s.name);
    if (!a) askers.set(s.name, (a = j.makeAsk(judgeSystemPrompt(s))));
    return a;
  };
  return runPhase({
    ...o,
    keyOf: (item) => judgeKey(j, item),
    indexOf: (item) => item.row.index,
    ask: (item, signal) => askForVerdict(askerFor(item.scorer), judgeUserPrompt(item.scorer, item.material), signal),
  });
}

export interface VerdictCells {
  value: "yes" | "no" | null;
  rationale: string | null;
  error: string | null;
}

/** A row's verdict for one scorer, from the checkpoint (or the reason there is none). */
export function verdictCells(
  j: JudgeSettings,
  store: PredictionStore,
  failures: Map<string, string>,
  item: Pick<JudgeItem, "scorer" | "material">,
): VerdictCells {
  const key = judgeKey(j, item);
  const rec = store.get(key);
  if (!rec) return { value: null, rationale: null, error: failures.get(key) ?? "not judged: the run stopped first" };
  if (rec.status === "filtered") return { value: null, rationale: null, error: `the judge's reply was filtered (${rec.reason})` };
  const v = parseVerdict(rec.output);
  if (!v) return { value: null, rationale: null, error: `the judge's reply could not be read as yes or no (twice): ${String(rec.output).slice(0, 160)}` };
  return { value: v.value, rationale: v.rationale, error: null };
}
