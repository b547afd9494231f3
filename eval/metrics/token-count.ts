// token_count: cl100k_base tokens per answer (MLflow's tiktoken count); per row only, no aggregate.
// gpt-tokenizer's cl100k_base: the fastest exact encoder measured here (about 1.6x Python tiktoken,
// 8x js-tiktoken; `npm run bench -- tokens`), and identical counts to tiktoken on the test corpus.
import { countTokens as cl100kCount } from "gpt-tokenizer/encoding/cl100k_base";
import type { Metric } from "./types.ts";

/** Special-token text (`<|endoftext|>`) is ordinary text here; MLflow's tiktoken call would raise. */
const ORDINARY = { disallowedSpecial: new Set<string>() };

/** Exact cl100k_base token count. */
export function countTokens(text: string): number {
  return cl100kCount(text, ORDINARY);
}

export const tokenCountMetric: Metric = {
  name: "token_count",
  scoreColumn: "token_count",
  score: (rows) => rows.map((r) => (r.prediction === null ? null : countTokens(r.prediction))),
  aggregate: () => ({}),
};
