// The one writer of .evallab/choices.json: the lab's persisted decisions (region, model and type, name
// suffix, deadline, when it was deployed). Called only where a decision is made — preflight (region,
// model), up (deadline), extend (deadline), down (forget), and the first synth of a fresh folder (names).
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { writeJsonAtomic } from "../eval/atomic-write.ts";
import { type Choices, choicesPath, type LabConfig, readChoices } from "../stacks/config.ts";

/** Save the choices atomically (a crash never leaves half a file), owner-only like the rest of .evallab/. */
function saveChoices(rootDir: string, choices: Choices): void {
  const file = choicesPath(rootDir);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeJsonAtomic(file, choices);
}

/** Merge into the persisted choices. */
export function writeChoices(rootDir: string, update: Choices): void {
  saveChoices(rootDir, { ...readChoices(rootDir), ...update });
}

/** Forget persisted choices (e.g. the deadline once the lab is down). */
export function clearChoices(rootDir: string, keys: string[]): void {
  if (!existsSync(choicesPath(rootDir))) return;
  const current = readChoices(rootDir);
  for (const k of keys) delete current[k];
  saveChoices(rootDir, current);
}

/**
 * Record what a config load had to draw (suffix, region, a new deadline), so the next synth names the
 * same lab. Writes nothing when everything was already decided.
 */
export function recordDrawn(rootDir: string, config: Pick<LabConfig, "drawn">): void {
  if (Object.keys(config.drawn).length > 0) writeChoices(rootDir, config.drawn);
}
