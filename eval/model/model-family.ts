// What the Azure OpenAI data plane expects of a model: which request parameters it accepts and which
// API version serves it. Pure knowledge, shared by the lab's config and the evaluation engine.

/** The GA v1 data-plane API: `<endpoint>/openai/v1/`, no api-version (GA since August 2025). */
export const V1_API = "v1";
/** The newest dated GA data-plane version; it predates the reasoning models and does not serve them. */
export const DATED_GA_API = "2024-10-21";

/**
 * Reasoning models (the gpt-5 family, the o-series) reject `max_tokens` (they take
 * `max_completion_tokens`) and any non-default `temperature`, and count reasoning tokens.
 * See learn.microsoft.com/azure/foundry/openai/how-to/reasoning ("not supported" parameters).
 */
export function isReasoningModel(model: string): boolean {
  const n = model.toLowerCase();
  return /^o\d/.test(n) || /^gpt-5/.test(n);
}

/** Models the dated GA version 2024-10-21 serves (the seed's `AzureOpenAI(api_version=...)` cells work). */
const DATED_GA_MODELS = /^(gpt-35-turbo|gpt-4|gpt-4-32k|gpt-4-turbo|gpt-4o|gpt-4o-mini)$/;

/**
 * The data-plane version for a model: the dated GA one where it serves the model (so the seed's
 * `AZURE_OPENAI_API_VERSION` contract keeps working verbatim), else the GA v1 API, which serves every
 * current model without an api-version.
 */
export function defaultApiVersion(model: string): string {
  return DATED_GA_MODELS.test(model.toLowerCase()) ? DATED_GA_API : V1_API;
}
