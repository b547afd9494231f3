// The cdktf app: load the configuration with the lab's persisted decisions, build the stacks. Nothing else
// — except on a fresh folder, where this synth is where the lab's names are decided: they are recorded so
// that a second plain `cdktf deploy` names the same lab. Once decided, a synth writes nothing.
import { App } from "cdktf";
import { recordDrawn } from "./scripts/lab-choices.ts";
import { ConfigError, loadConfig } from "./stacks/config.ts";
import { buildStacks } from "./stacks/index.ts";

try {
  const config = loadConfig({ rootDir: process.cwd() });
  const app = new App();
  buildStacks(app, config);
  app.synth();
  recordDrawn(process.cwd(), config);
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.error(e.message);
  process.exit(1);
}
