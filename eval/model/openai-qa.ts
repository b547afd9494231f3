// The model under test: the lab's `openai_qa` — a formal-language system prompt and the row's question,
// sent to an Azure OpenAI chat deployment. Every failure is classified for the scheduler.
// The SDKs load on first use: scoring an answer column (--predictions) never pays for them.
import type { APIError as APIErrorType } from "openai";
import { type RateBudget, rateBudget, retryAfterMs } from "./retry-headers.ts";

type OpenAiModule = typeof import("openai");
let sdk: OpenAiModule | undefined;

export const SYSTEM_PROMPT = "Please answer the following question in formal language.";
const COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default";

export interface ModelSettings {
  endpoint: string;
  deployment: string;
  apiVersion: string;
  /** Key auth; without it, Microsoft Entra ID (a static `adToken`, or DefaultAzureCredential). */
  apiKey?: string;
  adToken?: string;
  timeoutMs?: number;
  maxTokens?: number;
}

export type Answer =
  | { kind: "answer"; text: string; finishReason: string | null; promptTokens?: number; completionTokens?: number; budget: RateBudget }
  | { kind: "filtered"; reason: string; budget: RateBudget };

export type FailureKind = "fatal" | "retryable" | "row";

/** A classified failure: fatal stops the run, retryable is retried, row fails only this row. */
export class ModelError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
    readonly throttled = false,
  ) {
    super(message);
    this.name = "ModelError";
  }
}

export class SetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SetupError";
  }
}

export function checkSettings(s: Partial<ModelSettings>): asserts s is ModelSettings {
  if (!s.endpoint) {
    throw new SetupError(
      "No Azure OpenAI endpoint: set AZURE_OPENAI_ENDPOINT or pass --endpoint (after `evallab up`, `evallab lab` passes it for you).",
    );
  }
  try {
    new URL(s.endpoint);
  } catch {
    throw new SetupError(`AZURE_OPENAI_ENDPOINT "${s.endpoint}" is not a URL; it looks like https://<name>.openai.azure.com/`);
  }
}

function errorCode(body: unknown): string | undefined {
  const b = body as { code?: unknown; error?: { code?: unknown } } | undefined;
  const code = b?.code ?? b?.error?.code;
  return code === undefined || code === null ? undefined : String(code);
}

/** Map an SDK error to what the scheduler should do with it. */
export function classify(e: unknown, s: ModelSettings): ModelError | { filtered: string } {
  if (sdk && e instanceof sdk.APIError && (e as APIErrorType).status !== undefined) {
    const code = errorCode(e.error) ?? e.code ?? undefined;
    const status = e.status;
    if (status === 400 && code === "content_filter") return { filtered: "content_filter (prompt)" };
    if (status === 401 || status === 403) {
      return new ModelError(
        "fatal",
        `Azure OpenAI refused the credentials (HTTP ${status}) at ${s.endpoint}: check AZURE_OPENAI_API_KEY ` +
          "(or --api-key), or without a key sign in with `az login` and hold the 'Cognitive Services OpenAI User' role.",
        status,
      );
    }
    if (status === 404 && code === "DeploymentNotFound") {
      return new ModelError(
        "fatal",
        `Deployment "${s.deployment}" does not exist at ${s.endpoint}: pass --deployment with a deployed model ` +
          "(LAB_DEPLOYMENT_NAME for the lab), or wait a few minutes after creating it.",
        status,
      );
    }
    if (status === 404) {
      return new ModelError(
        "fatal",
        `Azure OpenAI answered 404 at ${s.endpoint}: check AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_VERSION (${s.apiVersion}).`,
        status,
      );
    }
    if (status === 408 || status === 429 || status >= 500) {
      return new ModelError("retryable", `HTTP ${status}${code ? ` ${code}` : ""}`, status, retryAfterMs(e.headers), status === 429 || status === 503);
    }
    return new ModelError("row", `HTTP ${status}${code ? ` ${code}` : ""}: ${e.message.slice(0, 300)}`, status);
  }
  if (sdk && e instanceof sdk.APIConnectionError) return new ModelError("retryable", e.message || "connection error");
  return new ModelError("row", (e as Error)?.message ?? String(e));
}

export type Ask = (question: string, signal?: AbortSignal) => Promise<Answer>;

/** The lab's `openai_qa`: returns an Answer or throws a classified ModelError. */
export function createAsk(settings: ModelSettings): Ask {
  checkSettings(settings);
  let client: InstanceType<OpenAiModule["AzureOpenAI"]> | undefined;
  const connect = async () => {
    sdk ??= await import("openai");
    let tokenProvider: (() => Promise<string>) | undefined;
    if (!settings.apiKey) {
      if (settings.adToken) tokenProvider = async () => settings.adToken as string;
      else {
        const { DefaultAzureCredential, getBearerTokenProvider } = await import("@azure/identity");
        tokenProvider = getBearerTokenProvider(new DefaultAzureCredential(), COGNITIVE_SCOPE);
      }
    }
    return new sdk.AzureOpenAI({
      endpoint: settings.endpoint,
      apiVersion: settings.apiVersion,
      deployment: settings.deployment,
      maxRetries: 0, // the scheduler owns retries and pacing
      timeout: settings.timeoutMs ?? 60_000,
      ...(settings.apiKey ? { apiKey: settings.apiKey } : { azureADTokenProvider: tokenProvider }),
    });
  };
  return async (question, signal) => {
    try {
      client ??= await connect();
      const { data, response } = await client.chat.completions
        .create(
          {
            model: settings.deployment,
            messages: [
              { role: "system", content: SYSTEM_PROMPT },
              { role: "user", content: question },
            ],
            ...(settings.maxTokens ? { max_tokens: settings.maxTokens } : {}),
          },
          { signal },
        )
        .withResponse();
      const budget = rateBudget(response.headers);
      const choice = data.choices[0];
      if (!choice || choice.finish_reason === "content_filter") {
        return { kind: "filtered", reason: "content_filter (completion)", budget };
      }
      return {
        kind: "answer",
        text: choice.message.content ?? "",
        finishReason: choice.finish_reason,
        promptTokens: data.usage?.prompt_tokens,
        completionTokens: data.usage?.completion_tokens,
        budget,
      };
    } catch (e) {
      const c = classify(e, settings);
      if ("filtered" in c) return { kind: "filtered", reason: c.filtered, budget: {} };
      throw c;
    }
  };
}
