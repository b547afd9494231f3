// Runs once before the test files: finds (and, the first time, unpacks) the Chromium the browser tests
// drive, so parallel test processes never unpack it at once.
import type { TestProject } from "vitest/node";
import { findChromium } from "./helpers/chromium-path.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** The Chromium binary, or "" when there is none. */
    chromium: string;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  project.provide("chromium", (await findChromium()) ?? "");
}
