// Environment for evaluation tests: textstat's exact data (NLTK's cmudict, Pyphen's patterns), a toxicity model that
// cannot load (no network here), and the fake's endpoint and key.
import { join } from "node:path";
import type { FakeAzureOpenAI } from "../fakes/azure-openai.ts";
import { readabilityEnv } from "./reference-data.ts";
import { NEVER_CREATED } from "./tmp.ts";

export const READABILITY_ENV = {
  ...readabilityEnv(),
  EVALLAB_TOXICITY_MODEL: join(NEVER_CREATED, "toxicity-onnx"),
  EVALLAB_OFFLINE: "1",
};

export function fakeEnv(fake: FakeAzureOpenAI): Record<string, string> {
  return {
    ...READABILITY_ENV,
    AZURE_OPENAI_ENDPOINT: fake.url,
    AZURE_OPENAI_API_KEY: fake.opts.apiKey,
    AZURE_OPENAI_API_VERSION: "2024-10-21",
  };
}
