// The model under test: the lab's `openai_qa` — a formal-language system prompt and the row's question,
// sent to an Azure OpenAI chat deployment. Every failure is classified for the scheduler.
// The SDKs load on first use: scoring an answer column (--predictions) never pays for them.
import type { APIError as APIErrorType } from "openai";
import { isReasoningModel, V1_API } from "./model-family.ts";
import { type RateBudget, rateBudget, retryAfterMs } from "./retry-headers.ts";

type OpenAiModule = typeof import("openai");
let sdk: OpenAiModule | undefined;

export const SYSTEM_PROMPT = "Please answer the following question in formal language.";
const COGNITIVE_SCOPE = "https://cognitiveservices.azure.com/.default";

export interface ModelSettings {
  endpoint: string;
  deployment: string;
  /** A dated version (`/openai/deployments/…?api-version=`), or `v1` for the GA v1 API (`/openai/v1/`). */
  apiVersion: string;
  /** The deployed model's name, when known (the lab's); decides the request's parameters. Default: the deployment name. */
  model?: string;
  /** Key auth; without it, Microsoft Entra ID (a static `adToken`, or DefaultAzureCredential). */
  apiKey?: string;
  adToken?: string;
  timeoutMs?: number;
  maxTokens?: number;
  /** The system message; the lab's formal-language prompt unless a judge asks. */
  systemPrompt?: string;
}

export type Answer =
  | {
      kind: "answer";
      text: string;
      finishReason: string | null;
      promptTokens?: number;
      completionTokens?: number;
      /** Tokens a reasoning model spent thinking (part of completionTokens). */
      reasoningTokens?: number;
      budget: RateBudget;
    }
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
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "SetupError";
  }
}

export function checkSettings(s: Partial<ModelSettings>): asserts s is ModelSettings {
  if (!s.endpoint) {
    throw new SetupError("No Azure OpenAI endpoint: set AZURE_OPENAI_ENDPOINT or pass --endpoint (after `evallab up`, `evallab lab` passes it for you).");
  }
  let url: URL;
  try {
    url = new URL(s.endpoint);
  } catch {
    throw new SetupError(`AZURE_OPENAI_ENDPOINT "${s.endpoint}" is not a URL; it looks like https://<name>.openai.azure.com/`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new SetupError(`AZURE_OPENAI_ENDPOINT "${s.endpoint}" is not http(s); it looks like https://<name>.openai.azure.com/`);
  }
  if (!s.apiVersion?.trim()) {
    throw new SetupError("the API version is empty: set AZURE_OPENAI_API_VERSION (or --api-version) to v1 or a dated version such as 2024-10-21");
  }
}

/**
 * Which limit parameter a 400 says the model rejects: reasoning models answer `max_tokens` with
 * `unsupported_parameter` ("Use 'max_completion_tokens' instead."); older API versions reject the other.
 */
export function rejectedLimitParam(e: unknown): "max_tokens" | "max_completion_tokens" | undefined {
  if (!sdk || !(e instanceof sdk.APIError) || e.status !== 400) return undefined;
  const body = (e.error ?? {}) as { code?: unknown; param?: unknown };
  const code = String(body.code ?? e.code ?? "");
  const param = String(body.param ?? e.param ?? "");
  if (code !== "unsupported_parameter") return undefined;
  return param === "max_tokens" || param === "max_completion_tokens" ? param : undefined;
}

function errorCode(body: unknown): string | undefined {
  const b = body as { code?: unknown; error?: { code?: unknown } } | undefined;
  const code = b?.code ?? b?.error?.code;
  return code === undefined || code === null ? undefined : String(code);
}

/**
 * Errors that mean "this endpoint is not there" (no such host, nothing listening, a TLS certificate that
 * does not match): before any answer arrived they are a setup error, not something to retry per row.
 */
const UNREACHABLE =
  /^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ERR_TLS_CERT_ALTNAME_INVALID|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT|ERR_SSL_)/;

/** The first `code` along an error's cause chain (fetch wraps the socket error). */
function causeCode(e: unknown): string | undefined {
  for (let c: unknown = e, i = 0; c && i < 5; c = (c as { cause?: unknown }).cause, i++) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === "string" && code !== "") return code;
  }
  return undefined;
}

/** Map an SDK error to what the scheduler should do with it. */
export function classify(e: unknown, s: ModelSettings & { answeredOnce?: boolean }): ModelError | { filtered: string } {
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
    if (status === 400 && /enabled only for api versions/i.test(e.message)) {
      return new ModelError(
        "fatal",
        `Deployment "${s.deployment}" is not served by API version ${s.apiVersion}: set AZURE_OPENAI_API_VERSION=v1 (or --api-version v1), the GA v1 API that serves every current model.`,
        status,
      );
    }
    if (status === 408 || status === 429 || status >= 500) {
      return new ModelError("retryable", `HTTP ${status}${code ? ` ${code}` : ""}`, status, retryAfterMs(e.headers), status === 429 || status === 503);
    }
    return new ModelError("row", `HTTP ${status}${code ? ` ${code}` : ""}: ${e.message.slice(0, 300)}`, status);
  }
  if (sdk && e instanceof sdk.APIConnectionError) {
    const code = causeCode(e);
    if (code && !(e instanceof sdk.APIConnectionTimeoutError) && UNREACHABLE.test(code) && !s.answeredOnce) {
      const host = new URL(s.endpoint).host;
      return new ModelError(
        "fatal",
        `cannot reach ${host} (${code}): check AZURE_OPENAI_ENDPOINT (or --endpoint); it looks like https://<name>.openai.azure.com/`,
      );
    }
    return new ModelError("retryable", e.message || "connection error");
  }
  return new ModelError("row", (e as Error)?.message ?? String(e));
}

export type Ask = (question: string, signal?: AbortSignal) => Promise<Answer>;

/** The lab's `openai_qa`: returns an Answer or throws a classified ModelError. */
export function createAsk(settings: ModelSettings): Ask {
  checkSettings(settings);
  let client: InstanceType<OpenAiModule["OpenAI"]> | undefined;
  // Reasoning models take max_completion_tokens; learned once from Azure's 400 when the name does not tell.
  let answeredOnce = false;
  let limitParam: "max_tokens" | "max_completion_tokens" = isReasoningModel(settings.model ?? settings.deployment) ? "max_completion_tokens" : "max_tokens";
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
    const common = { maxRetries: 0, timeout: settings.timeoutMs ?? 60_000 }; // the scheduler owns retries and pacing
    if (settings.apiVersion === V1_API) {
      // The GA v1 API is the plain OpenAI client on `<endpoint>/openai/v1/`; the key (or an Entra ID
      // token) goes as the bearer, as Microsoft's v1 examples do.
      return new sdk.OpenAI({
        ...common,
        baseURL: `${settings.endpoint.replace(/\/+$/, "")}/openai/v1/`,
        apiKey: settings.apiKey ?? (tokenProvider as () => Promise<string>),
      });
    }
    return new sdk.AzureOpenAI({
      endpoint: settings.endpoint,
      apiVersion: settings.apiVersion,
      deployment: settings.deployment,
      ...common,
      ...(settings.apiKey ? { apiKey: settings.apiKey } : { azureADTokenProvider: tokenProvider }),
    });
  };
  const complete = (question: string, signal?: AbortSignal) =>
    (client as NonNullable<typeof client>).chat.completions
      .create(
        {
          model: settings.deployment,
          messages: [
            { role: "system", content: settings.systemPrompt ?? SYSTEM_PROMPT },
            { role: "user", content: question },
          ],
          ...(settings.maxTokens ? { [limitParam]: settings.maxTokens } : {}),
        },
        { signal },
      )
      .withResponse();
  return async (question, signal) => {
    try {
      client ??= await connect();
      let sent = limitParam;
      const { data, response } = await complete(question, signal).catch((e) => {
        // Retried once with the other limit parameter; every later row sends that one.
        if (!settings.maxTokens || rejectedLimitParam(e) !== sent) throw e;
        limitParam = sent = sent === "max_tokens" ? "max_completion_tokens" : "max_tokens";
        return complete(question, signal);
      });
      answeredOnce = true;
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
        reasoningTokens: data.usage?.completion_tokens_details?.reasoning_tokens,
        budget,
      };
    } catch (e) {
      const c = classify(e, { ...settings, answeredOnce });
      if ("filtered" in c) return { kind: "filtered", reason: c.filtered, budget: {} };
      throw c;
    }
  };
}
