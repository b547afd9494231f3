// The cdktf app: load the configuration, build the stacks. Nothing else.
import { App } from "cdktf";
import { ConfigError, loadConfig } from "./stacks/config.ts";
import { buildStacks } from "./stacks/index.ts";

try {
  const config = loadConfig({ rootDir: process.cwd() });
  const app = new App();
  buildStacks(app, config);
  app.synth();
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.error(e.message);
  process.exit(1);
}
