// Where the syllable data comes from. textstat uses NLTK's cmudict (downloaded on first use) and
// Pyphen's en_US patterns; we find the same files the same way, cache downloads, and fall back to
// npm-packaged dictionaries offline (measured in the README: how far each source is from textstat).
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { unzipSync } from "fflate";
import { writeFileAtomic } from "../../atomic-write.ts";
import { fromPronouncingDictionary, parseNltkCmudict } from "./cmudict.ts";
import { HyphenationPatterns } from "./pyphen.ts";

/** NLTK's own download location for the corpus (what `nltk.download('cmudict')` fetches). */
export const CMUDICT_URL = "https://raw.githubusercontent.com/nltk/nltk_data/gh-pages/packages/corpora/cmudict.zip";
/** The `hyph_en_US.dic` that Pyphen 0.18.1 ships. */
export const HYPHEN_DIC_URL = "https://raw.githubusercontent.com/Kozea/Pyphen/0.18.1/pyphen/dictionaries/hyph_en_US.dic";

export type SyllableSourceKind = "nltk-cmudict" | "npm-cmu-pronouncing-dictionary";
export type HyphenSourceKind = "pyphen-hyph_en_US" | "npm-hyphen-en-us";

export interface SyllableData {
  cmudict: Map<string, number>;
  cmudictSource: { kind: SyllableSourceKind; path?: string };
  /** Returns hyphenation positions (Pyphen semantics, left = right = 2). */
  positions: (word: string) => number[];
  hyphenSource: { kind: HyphenSourceKind; path?: string };
  warnings: string[];
}

export interface SourceOptions {
  env?: NodeJS.ProcessEnv;
  /** Try downloads (default: yes unless EVALLAB_OFFLINE=1). */
  download?: boolean;
  fetchImpl?: typeof fetch;
  /** Download timeout per file. */
  timeoutMs?: number;
}

const home = (env: NodeJS.ProcessEnv) => env.HOME || homedir();

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.EVALLAB_CACHE_DIR || join(env.XDG_CACHE_HOME || join(home(env), ".cache"), "evallab");
}

/** NLTK's data search path: NLTK_DATA first, then its standard folders, then our cache. */
export function nltkSearchPath(env: NodeJS.ProcessEnv = process.env): string[] {
  const fromEnv = (env.NLTK_DATA ?? "").split(delimiter).filter(Boolean);
  return [
    ...fromEnv,
    join(home(env), "nltk_data"),
    "/usr/share/nltk_data",
    "/usr/local/share/nltk_data",
    "/usr/lib/nltk_data",
    "/usr/local/lib/nltk_data",
    join(cacheDir(env), "nltk_data"),
  ];
}

function readCmudictAt(root: string): string | undefined {
  const plain = join(root, "corpora", "cmudict", "cmudict");
  if (existsSync(plain)) return readFileSync(plain, "latin1");
  const zip = join(root, "corpora", "cmudict.zip");
  if (existsSync(zip)) return cmudictFromZip(readFileSync(zip));
  return undefined;
}

export function cmudictFromZip(bytes: Uint8Array): string {
  const files = unzipSync(bytes, { filter: (f) => f.name === "cmudict/cmudict" });
  const data = files["cmudict/cmudict"];
  if (!data) throw new Error("cmudict.zip has no cmudict/cmudict entry");
  return Buffer.from(data).toString("latin1");
}

async function download(url: string, opts: SourceOptions): Promise<Uint8Array> {
  const res = await (opts.fetchImpl ?? fetch)(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 8000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Write atomically so a crash never leaves a truncated cache file. */
function writeCache(path: string, bytes: Uint8Array): void {
  mkdirSync(join(path, ".."), { recursive: true });
  writeFileAtomic(path, bytes);
}

const require_ = createRequire(import.meta.url);

async function loadCmudict(opts: SourceOptions, warnings: string[]) {
  const env = opts.env ?? process.env;
  for (const root of nltkSearchPath(env)) {
    const text = readCmudictAt(root);
    if (text) return { map: parseNltkCmudict(text), source: { kind: "nltk-cmudict" as const, path: root } };
  }
  if (opts.download !== false && env.EVALLAB_OFFLINE !== "1") {
    const url = env.EVALLAB_CMUDICT_URL || CMUDICT_URL;
    try {
      const bytes = await download(url, opts);
      const text = cmudictFromZip(bytes);
      const target = join(cacheDir(env), "nltk_data", "corpora", "cmudict.zip");
      writeCache(target, bytes);
      return { map: parseNltkCmudict(text), source: { kind: "nltk-cmudict" as const, path: target } };
    } catch (e) {
      warnings.push(`could not download NLTK's cmudict (${(e as Error).message})`);
    }
  }
  const { dictionary } = await import("cmu-pronouncing-dictionary");
  warnings.push(
    "readability: NLTK's cmudict not found, using the npm cmu-pronouncing-dictionary (FK may differ slightly " +
      "from MLflow's). Fix: set NLTK_DATA to a folder with corpora/cmudict.zip, or run " +
      "`python -m nltk.downloader cmudict`, or allow the download.",
  );
  return { map: fromPronouncingDictionary(dictionary), source: { kind: "npm-cmu-pronouncing-dictionary" as const } };
}

async function loadHyphenation(opts: SourceOptions, warnings: string[]) {
  const env = opts.env ?? process.env;
  const cached = join(cacheDir(env), "pyphen", "hyph_en_US.dic");
  for (const path of [env.EVALLAB_HYPHEN_DIC, cached]) {
    if (path && existsSync(path)) {
      const hd = new HyphenationPatterns(readFileSync(path, "utf8"));
      return { positions: (w: string) => hd.positions(w), source: { kind: "pyphen-hyph_en_US" as const, path } };
    }
  }
  if (opts.download !== false && env.EVALLAB_OFFLINE !== "1") {
    try {
      const bytes = await download(env.EVALLAB_HYPHEN_DIC_URL || HYPHEN_DIC_URL, opts);
      const hd = new HyphenationPatterns(Buffer.from(bytes).toString("utf8"));
      if (hd.size === 0) throw new Error("no patterns in the file");
      writeCache(cached, bytes);
      return { positions: (w: string) => hd.positions(w), source: { kind: "pyphen-hyph_en_US" as const, path: cached } };
    } catch (e) {
      warnings.push(`could not download Pyphen's hyph_en_US.dic (${(e as Error).message})`);
    }
  }
  // hyphen's en-us patterns are TeX's, not LibreOffice's: close, not identical.
  const { hyphenateSync } = require_("hyphen/en-us") as {
    hyphenateSync: (text: string, o: { hyphenChar: string; minWordLength: number }) => string;
  };
  warnings.push(
    "readability: Pyphen's hyph_en_US.dic not found, using the npm hyphen en-us patterns for words outside " +
      "cmudict. Fix: set EVALLAB_HYPHEN_DIC to Pyphen's hyph_en_US.dic, or allow the download.",
  );
  const positions = (word: string) => {
    const parts = hyphenateSync(word, { hyphenChar: "\u00ad", minWordLength: 1 }).split("\u00ad");
    const out: number[] = [];
    let at = 0;
    for (const part of parts.slice(0, -1)) out.push((at += Array.from(part).length));
    const last = Array.from(word).length - 2;
    return out.filter((i) => i >= 2 && i <= last);
  };
  return { positions, source: { kind: "npm-hyphen-en-us" as const } };
}

export async function loadSyllableData(opts: SourceOptions = {}): Promise<SyllableData> {
  const warnings: string[] = [];
  const [cmu, hyph] = await Promise.all([loadCmudict(opts, warnings), loadHyphenation(opts, warnings)]);
  return {
    cmudict: cmu.map,
    cmudictSource: cmu.source,
    positions: hyph.positions,
    hyphenSource: hyph.source,
    warnings,
  };
}
