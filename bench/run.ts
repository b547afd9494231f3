// `npm run bench`: prints each figure with its ratio to the goal. Not a test: nothing asserts on time.
import { benchMemory } from "./memory.ts";
import { benchReadability } from "./readability-speed.ts";
import { benchSpark } from "./spark.ts";
import { benchThroughput } from "./throughput.ts";

const only = process.argv[2];
if (!only || only === "throughput") await benchThroughput();
if (!only || only === "readability") await benchReadability();
if (!only || only === "memory") benchMemory();
if (!only || only === "sources") await import("./readability-sources.ts");
if (!only || only === "spark") benchSpark();
