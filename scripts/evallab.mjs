#!/usr/bin/env node
// Launcher for the `evallab` command: registers tsx (resolved from here, not the caller's folder)
// so the TypeScript sources run directly on Node 20.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./cli.ts");
process.exitCode = await main(process.argv.slice(2));
