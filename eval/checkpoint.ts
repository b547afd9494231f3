// The checkpoint: `<out>/predictions.jsonl`, one complete JSON line per finished row, written with a
// single write() as soon as the row is done, so `kill -9` at any moment loses no finished row.
// Rows are found again by a cache key over everything that shapes the answer.
import { createHash } from "node:crypto";
import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, readSync, writeSync } from "node:fs";
import { join } from "node:path";

export const PREDICTIONS_FILE = "predictions.jsonl";

export interface PredictionRecord {
  key: string;
  /** Dataset row that first asked it (identical questions share one answer). */
  index: number;
  status: "ok" | "filtered";
  output: string | null;
  reason?: string;
  finish_reason?: string | null;
  prompt_tokens?: number;
  completion_tokens?: number;
  reasoning_tokens?: number;
}

export interface KeyParts {
  deployment: string;
  apiVersion: string;
  systemPrompt: string;
  question: string;
}

/** Changing the deployment, API version, prompt or question changes the key: no stale answers. */
export function cacheKey(p: KeyParts): string {
  return createHash("sha256")
    .update(JSON.stringify([p.deployment, p.apiVersion, p.systemPrompt, p.question]))
    .digest("hex");
}

export class PredictionStore {
  private readonly index = new Map<string, { offset: number; length: number }>();
  private size = 0;

  private constructor(
    readonly path: string,
    private readonly fd: number,
  ) {}

  /** Open (creating) the store in `dir`, indexing what an earlier run finished. */
  static open(dir: string, file = PREDICTIONS_FILE): PredictionStore {
    const path = join(dir, file);
    const fd = openSync(path, existsSync(path) ? "r+" : "w+");
    const store = new PredictionStore(path, fd);
    store.load();
    return store;
  }

  /** Line numbers of complete lines that could not be read (skipped: their rows are asked again). */
  readonly damaged: number[] = [];

  /**
   * Index complete lines. A damaged complete line is skipped (only its row is asked again); a torn last
   * line (a crash mid-write, no newline) is cut off so appends start clean.
   */
  private load(): void {
    const total = fstatSync(this.fd).size;
    const chunk = Buffer.alloc(1 << 20);
    let carry = Buffer.alloc(0); // bytes of an unfinished line from the previous chunk
    let pos = 0; // file offset of the next read
    let good = 0; // end of the last complete line (+ its newline)
    let lineNo = 0;
    while (pos < total) {
      const n = readSync(this.fd, chunk, 0, chunk.length, pos);
      if (n <= 0) break;
      const base = pos - carry.length; // file offset of buf[0]
      const buf = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
      let start = 0;
      for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
        lineNo++;
        try {
          const rec = JSON.parse(buf.toString("utf8", start, nl)) as PredictionRecord;
          if (typeof rec.key !== "string") throw new Error("no key");
          this.index.set(rec.key, { offset: base + start, length: nl - start });
        } catch {
          this.damaged.push(lineNo);
        }
        good = base + nl + 1;
        start = nl + 1;
      }
      carry = Buffer.from(buf.subarray(start));
      pos += n;
    }
    if (good < total) ftruncateSync(this.fd, good);
    this.size = good;
  }

  get count(): number {
    return this.index.size;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  get(key: string): PredictionRecord | undefined {
    const at = this.index.get(key);
    if (!at) return undefined;
    const buf = Buffer.alloc(at.length);
    readSync(this.fd, buf, 0, at.length, at.offset);
    return JSON.parse(buf.toString("utf8")) as PredictionRecord;
  }

  append(record: PredictionRecord): void {
    if (this.index.has(record.key)) return;
    const line = Buffer.from(`${JSON.stringify(record)}\n`, "utf8");
    writeSync(this.fd, line, 0, line.length, this.size);
    this.index.set(record.key, { offset: this.size, length: line.length - 1 });
    this.size += line.length;
  }

  close(): void {
    closeSync(this.fd);
  }
}
