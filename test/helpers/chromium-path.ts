// Which Chromium the browser tests drive, with nothing downloaded at test time:
// 1. CHROMIUM_PATH, when set;
// 2. @sparticuz/chromium (a dev dependency: `npm ci` brings its compressed build), unpacked once into
//    node_modules/.cache — on Linux x64, the only platform it ships for;
// 3. a system Chromium on PATH.
// No test framework here: test/prerequisites.ts and the vitest global setup both call it.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { arch, platform } from "node:os";
import { delimiter, join } from "node:path";

const ROOT = join(import.meta.dirname, "..", "..");
const SPARTICUZ = join(ROOT, "node_modules", "@sparticuz", "chromium");

function onPath(names: string[]): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter(Boolean)) {
    for (const name of names) if (existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Unpack @sparticuz/chromium's build into a folder of its own (it unpacks into TMPDIR), renamed into place whole. */
async function unpackSparticuz(): Promise<string | undefined> {
  if (platform() !== "linux" || arch() !== "x64" || !existsSync(SPARTICUZ)) return undefined;
  const version = JSON.parse(readFileSync(join(SPARTICUZ, "package.json"), "utf8")).version as string;
  const dir = join(ROOT, "node_modules", ".cache", `sparticuz-chromium-${version}`);
  const binary = join(dir, "chromium");
  if (existsSync(binary)) return binary;
  // A crash mid-unpack leaves only the private folder; two test processes each unpack their own.
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  const savedTmp = process.env.TMPDIR;
  process.env.TMPDIR = partial;
  try {
    const { default: Chromium } = await import("@sparticuz/chromium");
    await Chromium.executablePath(join(SPARTICUZ, "bin"));
  } finally {
    if (savedTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmp;
  }
  try {
    renameSync(partial, dir);
  } catch {
    rmSync(partial, { recursive: true, force: true }); // another process got there first
  }
  return existsSync(binary) ? binary : undefined;
}

export const CHROMIUM_FIX = "set CHROMIUM_PATH to a Chromium, or install one on PATH (apt-get install chromium), or run `npm ci` for @sparticuz/chromium";

/** The Chromium to drive, or undefined when there is none. */
export async function findChromium(): Promise<string | undefined> {
  if (process.env.CHROMIUM_PATH) return existsSync(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : undefined;
  return (await unpackSparticuz()) ?? onPath(["chromium", "chromium-browser", "google-chrome"]);
}
