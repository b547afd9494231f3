// In-process synthesis of the lab's stacks into a temp folder, as main.ts does it; returns the parsed
// Terraform JSON.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { App } from "cdktf";
import { recordDrawn } from "../../scripts/lab-choices.ts";
import { type LabConfig, loadConfig } from "../../stacks/config.ts";
import { buildStacks } from "../../stacks/index.ts";
import { tempDir } from "./tmp.ts";

export type TfJson = Record<string, any>;

export interface Synthesized {
  config: LabConfig;
  rootDir: string;
  outDir: string;
  stacks: Record<string, TfJson>;
}

export function synthLab(env: Record<string, string> = {}, opts: { rootDir?: string; configFile?: unknown } = {}): Synthesized {
  const rootDir = opts.rootDir ?? tempDir();
  if (opts.configFile !== undefined) writeFileSync(join(rootDir, "lab.config.json"), JSON.stringify(opts.configFile));
  const config = loadConfig({ rootDir, env });
  const outDir = join(rootDir, "cdktf.out");
  mkdirSync(outDir, { recursive: true });
  const app = new App({ outdir: outDir });
  const built = buildStacks(app, config);
  app.synth();
  recordDrawn(rootDir, config); // as main.ts does
  const stacks: Record<string, TfJson> = {};
  for (const stack of Object.values(built)) {
    const name = (stack as { node: { id: string } }).node.id;
    stacks[name] = JSON.parse(readFileSync(join(outDir, "stacks", name, "cdk.tf.json"), "utf8"));
  }
  return { config, rootDir, outDir, stacks };
}

/** The one resource of a type in a stack (fails loudly when there are more or none). */
export function only(stack: TfJson, section: "resource" | "data", type: string): TfJson {
  const entries = Object.values(stack[section]?.[type] ?? {});
  if (entries.length !== 1) throw new Error(`expected one ${section} ${type}, found ${entries.length}`);
  return entries[0] as TfJson;
}
