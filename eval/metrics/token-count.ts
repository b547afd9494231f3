// token_count: cl100k_base tokens per answer (MLflow's tiktoken count); per row only, no aggregate.
import { Tiktoken } from "js-tiktoken/lite";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import type { Metric } from "./types.ts";

let encoder: Tiktoken | undefined;

/** Exact cl100k_base token count (special-token text is counted as ordinary text). */
export function countTokens(text: string): number {
  encoder ??= new Tiktoken(cl100k);
  return encoder.encode(text, [], []).length;
}

export const tokenCountMetric: Metric = {
  name: "token_count",
  scoreColumn: "token_count",
  score: (rows) => rows.map((r) => (r.prediction === null ? null : countTokens(r.prediction))),
  aggregate: () => ({}),
};
