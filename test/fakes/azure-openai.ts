// A loopback fake of the Azure OpenAI data plane (chat completions), following the real contract:
// POST /openai/deployments/{deployment}/chat/completions?api-version=…, and the GA v1 API
// POST /openai/v1/chat/completions (no api-version; the deployment is the body's `model`; the key as
// `api-key` or as the bearer, as the OpenAI client sends it), `api-key` or bearer auth,
// Azure's error bodies (401, 404 DeploymentNotFound, 400 content_filter, 429 with retry headers,
// 500/503), `usage` in responses, and a limiter like Azure's: RPM and TPM enforced over short windows
// (buckets holding 10 s of budget), TPM counted on the estimate (prompt + max_tokens) at admission.
import type { Server } from "node:http";
import { sendJson, sleep, startServer, stopServer } from "./http.ts";
import { FakeJudge, type JudgeRequest, judgeRequest } from "./judge.ts";

export const SUPPORTED_API_VERSIONS = [
  "2023-03-15-preview",
  "2023-05-15",
  "2024-02-01",
  "2024-06-01",
  "2024-10-21",
  "2024-12-01-preview",
  "2025-01-01-preview",
  "2025-04-01-preview",
];
/** Reasoning models are served from this dated version on (and by v1): learn.microsoft.com/azure/foundry/openai/how-to/reasoning. */
const FIRST_REASONING_API = "2024-12-01-preview";

export interface ChatRequestLog {
  deployment: string;
  /** The dated version, or "v1" for the v1 API. */
  apiVersion: string;
  auth: "key" | "bearer";
  messages: { role: string; content: string }[];
  maxTokens?: number;
  maxCompletionTokens?: number;
  status: number;
  at: number;
}

export interface FakeOpenAIOptions {
  deployments?: string[];
  /**
   * Deployments running a reasoning model (gpt-5 family, o-series): `max_tokens` and a non-default
   * `temperature` get Azure's 400s, usage reports reasoning tokens, and dated API versions before
   * 2024-12-01-preview are refused.
   */
  reasoningDeployments?: string[];
  apiKey?: string;
  bearerToken?: string;
  /** Requests and tokens per minute; undefined = unlimited. */
  rpm?: number;
  tpm?: number;
  latencyMs?: number;
  /** Questions containing this are refused with 400 content_filter (prompt filter). */
  promptFilterWord?: string;
  /** Questions containing this get 200 with finish_reason content_filter (completion filter). */
  completionFilterWord?: string;
  /** Scripted failures per question: the next statuses to return (500, 503, 429, 'reset', 'hang'). */
  script?: Record<string, (number | "reset" | "hang")[]>;
  answer?: (question: string) => string;
}

class Bucket {
  private level: number;
  private last: number;
  constructor(
    readonly perMinute: number,
    private readonly capacity = perMinute / 6,
  ) {
    this.level = this.capacity;
    this.last = Date.now();
  }
  private refill(now: number) {
    this.level = Math.min(this.capacity, this.level + ((now - this.last) / 60_000) * this.perMinute);
    this.last = now;
  }
  /** Take `n` now, or say how many ms until it could be taken. */
  take(n: number, now = Date.now()): number {
    this.refill(now);
    if (this.level >= n) {
      this.level -= n;
      return 0;
    }
    return Math.ceil(((n - this.level) / this.perMinute) * 60_000);
  }
  give(n: number) {
    this.level = Math.min(this.capacity, this.level + n);
  }
  get remaining() {
    this.refill(Date.now());
    return Math.floor(this.level);
  }
}

/** Rough token estimate Azure's limiter uses at admission (chars / 4). */
const estimate = (text: string) => Math.ceil(text.length / 4);

export function defaultAnswer(question: string): string {
  return `In formal terms, the answer to the question "${question}" is as follows. It is a well-established subject. Further details are documented.`;
}

export class FakeAzureOpenAI {
  readonly requests: ChatRequestLog[] = [];
  /** Every judge request that reached the model (answered or not). */
  readonly judgeRequests: JudgeRequest[] = [];
  private readonly judge = new FakeJudge();
  url = "";
  private server?: Server;
  private rpmBucket?: Bucket;
  private tpmBucket?: Bucket;
  readonly opts: Required<Pick<FakeOpenAIOptions, "deployments" | "apiKey" | "latencyMs">> & FakeOpenAIOptions;

  constructor(opts: FakeOpenAIOptions = {}) {
    this.opts = { deployments: ["gpt-35-turbo"], apiKey: "test-key-0123456789abcdef", latencyMs: 0, ...opts };
    if (opts.rpm) this.rpmBucket = new Bucket(opts.rpm);
    if (opts.tpm) this.tpmBucket = new Bucket(opts.tpm);
  }

  async start(): Promise<this> {
    const { server, url } = await startServer((req, res, body) => this.handle(req, res, body));
    this.server = server;
    this.url = `${url}/`;
    return this;
  }

  async stop(): Promise<void> {
    if (this.server) await stopServer(this.server);
  }

  /** Successful chat completions (status 200). */
  get completed(): ChatRequestLog[] {
    return this.requests.filter((r) => r.status === 200);
  }

  private async handle(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse, body: string) {
    const url = new URL(`http://localhost${req.url ?? "/"}`);
    // Azure accepts repeated slashes (endpoints end in "/", and SDKs append "/openai/…").
    const path = url.pathname.replace(/\/{2,}/g, "/");
    const dated = /^\/openai\/deployments\/([^/]+)\/chat\/completions$/.exec(path);
    const v1 = path === "/openai/v1/chat/completions";
    const notFound = () => sendJson(res, 404, { error: { code: "404", message: "Resource not found" } });
    if (req.method !== "POST" || (!dated && !v1)) return notFound();
    const apiVersion = v1 ? "v1" : (url.searchParams.get("api-version") ?? "");
    // v1 takes no dated api-version (only the `preview` opt-in): learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle
    if (v1 ? !["", "preview", "latest"].includes(url.searchParams.get("api-version") ?? "") : !SUPPORTED_API_VERSIONS.includes(apiVersion)) return notFound();
    const key = req.headers["api-key"];
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const authOk =
      key !== undefined ? key === this.opts.apiKey : bearer !== undefined && (bearer === this.opts.bearerToken || (v1 && bearer === this.opts.apiKey));
    const log: ChatRequestLog = {
      deployment: dated ? decodeURIComponent(dated[1]) : "",
      apiVersion,
      auth: key !== undefined ? "key" : "bearer",
      messages: [],
      status: 0,
      at: Date.now(),
    };
    this.requests.push(log);
    const reply = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      log.status = status;
      sendJson(res, status, payload, headers);
    };
    if (!authOk) {
      return reply(401, {
        error: {
          code: "401",
          message:
            "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
        },
      });
    }
    let parsed: { model?: string; messages?: { role: string; content: string }[]; max_tokens?: number; max_completion_tokens?: number; temperature?: number };
    try {
      parsed = JSON.parse(body);
    } catch {
      return reply(400, { error: { code: "BadRequest", message: "Request body is not valid JSON." } });
    }
    if (v1) log.deployment = String(parsed.model ?? "");
    const deployment = log.deployment;
    if (!this.opts.deployments.includes(deployment)) {
      return reply(404, {
        error: {
          code: "DeploymentNotFound",
          message:
            "The API deployment for this resource does not exist. If you created the deployment within the last 5 minutes, please wait a moment and try again.",
        },
      });
    }
    if (!Array.isArray(parsed.messages) || parsed.messages.length === 0) {
      return reply(400, { error: { code: "BadRequest", message: "'messages' is a required property", param: "messages", type: "invalid_request_error" } });
    }
    log.messages = parsed.messages;
    log.maxTokens = parsed.max_tokens;
    log.maxCompletionTokens = parsed.max_completion_tokens;
    const reasoning = this.opts.reasoningDeployments?.includes(deployment) ?? false;
    if (reasoning) {
      const refused = this.refuseForReasoning(parsed, apiVersion, deployment);
      if (refused) return reply(400, refused);
    }
    const question = parsed.messages
      .filter((x) => x.role === "user")
      .map((x) => x.content)
      .join("\n");
    const system = parsed.messages.find((x) => x.role === "system")?.content ?? "";
    const judged = judgeRequest(system, question);
    if (judged) this.judgeRequests.push(judged);

    // A judge request is scripted by "judge:<scorer>:<the question it judges>".
    const scripted = this.opts.script?.[judged ? `judge:${judged.scorer}:${judged.question}` : question]?.shift();
    if (scripted === "reset") {
      log.status = -1;
      req.socket.destroy();
      return;
    }
    if (scripted === "hang") {
      log.status = -2;
      return; // never answers: the client's timeout must fire
    }
    if (scripted === 503)
      return reply(
        503,
        { error: { code: "ServiceUnavailable", message: "The service is temporarily unable to process your request. Please try again later." } },
        { "retry-after": "1" },
      );
    if (scripted === 500)
      return reply(500, { error: { code: "InternalServerError", message: "The server had an error while processing your request. Sorry about that!" } });
    if (scripted === 429) return this.throttle(reply, apiVersion, 200, "token");

    // Limiter: admission charges one request and the token estimate; refusal says when to retry.
    const tokens = estimate(parsed.messages.map((x) => x.content).join(" ")) + (parsed.max_tokens ?? parsed.max_completion_tokens ?? 16);
    const now = Date.now();
    const waitReq = this.rpmBucket?.take(1, now) ?? 0;
    if (waitReq > 0) return this.throttle(reply, apiVersion, waitReq, "call");
    const waitTok = this.tpmBucket?.take(tokens, now) ?? 0;
    if (waitTok > 0) {
      this.rpmBucket?.give(1);
      return this.throttle(reply, apiVersion, waitTok, "token");
    }

    if (this.opts.latencyMs) await sleep(this.opts.latencyMs);
    if (this.opts.promptFilterWord && question.includes(this.opts.promptFilterWord)) {
      return reply(400, {
        error: {
          message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
          type: null,
          param: "prompt",
          code: "content_filter",
          status: 400,
          innererror: {
            code: "ResponsibleAIPolicyViolation",
            content_filter_result: {
              hate: { filtered: true, severity: "high" },
              self_harm: { filtered: false, severity: "safe" },
              sexual: { filtered: false, severity: "safe" },
              violence: { filtered: false, severity: "safe" },
            },
          },
        },
      });
    }
    const filtered = this.opts.completionFilterWord !== undefined && question.includes(this.opts.completionFilterWord);
    const content = filtered ? null : judged ? this.judge.reply(judged, question, system !== "") : (this.opts.answer ?? defaultAnswer)(question);
    const promptTokens = estimate(parsed.messages.map((x) => x.content).join(" "));
    // A reasoning model thinks before it answers: those tokens are billed as completion tokens.
    const reasoningTokens = reasoning ? 64 : 0;
    const completionTokens = (content ? estimate(content) : 0) + reasoningTokens;
    reply(
      200,
      {
        id: `chatcmpl-${this.requests.length}`,
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model: reasoning ? "gpt-5-mini-2025-08-07" : "gpt-35-turbo",
        choices: [{ index: 0, finish_reason: filtered ? "content_filter" : "stop", message: { role: "assistant", content } }],
        usage: {
          prompt_tokens: promptTokens,
          completion_tokens: completionTokens,
          total_tokens: promptTokens + completionTokens,
          ...(reasoning
            ? { completion_tokens_details: { reasoning_tokens: reasoningTokens, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 } }
            : {}),
        },
      },
      {
        "x-ratelimit-remaining-requests": String(this.rpmBucket?.remaining ?? 1000),
        "x-ratelimit-remaining-tokens": String(this.tpmBucket?.remaining ?? 1_000_000),
      },
    );
  }

  /**
   * What Azure answers a reasoning deployment for parameters it does not take (bodies as Azure sends
   * them; learn.microsoft.com/azure/foundry/openai/how-to/reasoning lists the unsupported parameters).
   */
  private refuseForReasoning(p: { max_tokens?: number; temperature?: number }, apiVersion: string, deployment: string) {
    if (apiVersion !== "v1" && apiVersion < FIRST_REASONING_API) {
      return { error: { code: "BadRequest", message: `Model ${deployment} is enabled only for api versions ${FIRST_REASONING_API} and later` } };
    }
    if (p.max_tokens !== undefined) {
      return {
        error: {
          message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
          type: "invalid_request_error",
          param: "max_tokens",
          code: "unsupported_parameter",
        },
      };
    }
    if (p.temperature !== undefined && p.temperature !== 1) {
      return {
        error: {
          message: `Unsupported value: 'temperature' does not support ${p.temperature} with this model. Only the default (1) value is supported.`,
          type: "invalid_request_error",
          param: "temperature",
          code: "unsupported_value",
        },
      };
    }
    return undefined;
  }

  private throttle(reply: (s: number, b: unknown, h?: Record<string, string>) => void, apiVersion: string, waitMs: number, kind: "call" | "token") {
    const secs = Math.max(1, Math.ceil(waitMs / 1000));
    reply(
      429,
      {
        error: {
          code: "429",
          message: `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version ${apiVersion} have exceeded ${kind} rate limit of your current OpenAI S0 pricing tier. Please retry after ${secs} second${secs === 1 ? "" : "s"}. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.`,
        },
      },
      {
        "retry-after": String(secs),
        "retry-after-ms": String(waitMs),
        "x-ratelimit-remaining-requests": String(this.rpmBucket?.remaining ?? 0),
        "x-ratelimit-remaining-tokens": String(this.tpmBucket?.remaining ?? 0),
      },
    );
  }
}
