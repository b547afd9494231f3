// Environment for evaluation tests: textstat's exact data from ../shared, a toxicity model that
// cannot load (no network here), and the fake's endpoint and key.
import { join } from "node:path";
import type { FakeAzureOpenAI } from "../fakes/azure-openai.ts";
import { NEVER_CREATED, SHARED } from "./tmp.ts";

export const READABILITY_ENV = {
  NLTK_DATA: join(SHARED, "reference-data", "nltk_data"),
  EVALLAB_HYPHEN_DIC: join(SHARED, "reference-data", "pyphen", "hyph_en_US.dic"),
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
