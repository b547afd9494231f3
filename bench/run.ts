// `npm run bench`: prints each figure with its ratio to the goal. Not a test: nothing asserts on time.
import { join } from "node:path";
import { benchMemory } from "./memory.ts";
import { benchReadability } from "./readability-speed.ts";
import { benchSpark } from "./spark.ts";
import { benchThroughput } from "./throughput.ts";

const shared = join(import.meta.dirname, "..", "..", "shared");
const only = process.argv[2];
if (!only || only === "throughput") await benchThroughput();
if (!only || only === "readability") await benchReadability(shared);
if (!only || only === "memory") benchMemory(shared);
if (!only || only === "sources") await import("./readability-sources.ts");
if (!only || only === "spark") benchSpark(shared);
