// Streaming dataset readers (JSONL, CSV): one row at a time, strict UTF-8, errors that name the line.
import { createReadStream, existsSync, statSync } from "node:fs";
import { extname } from "node:path";
import { parse as parseCsv } from "csv-parse";

export class DataError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = "DataError";
  }
}

export interface DataRow {
  /** 0-based position in the dataset. */
  index: number;
  /** 1-based line where the row starts (for messages). */
  line: number;
  record: Record<string, unknown>;
}

export type DataFormat = "jsonl" | "csv";

export function formatOf(file: string): DataFormat {
  const ext = extname(file).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".csv") return "csv";
  throw new DataError(`${file}: unknown data format "${ext || "(none)"}"; use a .jsonl or .csv file`);
}

function checkFile(file: string): void {
  if (!existsSync(file)) throw new DataError(`${file}: file not found; pass an existing --data FILE (.jsonl or .csv)`);
  if (!statSync(file).isFile()) throw new DataError(`${file}: not a file; pass a .jsonl or .csv file to --data`);
}

/** Byte lines of a file with their 1-based numbers, decoded as strict UTF-8. */
async function* utf8Lines(file: string): AsyncGenerator<{ line: number; text: string }> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let pending: Buffer = Buffer.alloc(0);
  let line = 0;
  const decode = (bytes: Buffer, at: number) => {
    try {
      return decoder.decode(bytes);
    } catch {
      throw new DataError(`${file}: line ${at} is not valid UTF-8; save the file as UTF-8`);
    }
  };
  for await (const chunk of createReadStream(file)) {
    let buf = pending.length ? Buffer.concat([pending, chunk as Buffer]) : (chunk as Buffer);
    let nl = buf.indexOf(0x0a);
    while (nl >= 0) {
      line++;
      yield { line, text: decode(buf.subarray(0, nl), line) };
      buf = buf.subarray(nl + 1);
      nl = buf.indexOf(0x0a);
    }
    pending = Buffer.from(buf);
  }
  if (pending.length) {
    line++;
    yield { line, text: decode(pending, line) };
  }
}

async function* jsonlRows(file: string): AsyncGenerator<DataRow> {
  let index = 0;
  for await (const { line, text } of utf8Lines(file)) {
    const trimmed = text.replace(/^\ufeff/, "").trim();
    if (!trimmed) continue;
    let record: unknown;
    try {
      record = JSON.parse(trimmed);
    } catch (e) {
      throw new DataError(`${file}: line ${line} is not valid JSON (${(e as Error).message}); fix or remove that line`);
    }
    if (!record || typeof record !== "object" || Array.isArray(record)) {
      throw new DataError(`${file}: line ${line} must be a JSON object such as {"inputs": "…"}`);
    }
    yield { index: index++, line, record: record as Record<string, unknown> };
  }
}

async function* csvRows(file: string): AsyncGenerator<DataRow> {
  // Fed from the strict line decoder (csv-parse would silently replace bad bytes); records may span lines.
  // A header naming a column twice would silently keep the last one: refuse it, naming the column.
  const header = (names: string[]) => {
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) throw new DataError(`${file}: the header names column "${twice}" twice; rename one of them`);
    return names;
  };
  const parser = parseCsv({ columns: header, bom: true, skip_empty_lines: true, info: true });
  const feed = (async () => {
    try {
      for await (const { text } of utf8Lines(file)) {
        if (!parser.write(`${text}\n`)) await new Promise((r) => parser.once("drain", r));
      }
      parser.end();
    } catch (e) {
      parser.destroy(e as Error);
    }
  })();
  let index = 0;
  try {
    for await (const item of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      yield { index: index++, line: item.info.lines, record: item.record };
    }
  } catch (e) {
    if (e instanceof DataError) throw e;
    const err = e as Error & { lines?: number };
    throw new DataError(`${file}: invalid CSV${err.lines ? ` at line ${err.lines}` : ""} (${err.message}); fix the file`);
  }
  await feed;
}

/** Stream a dataset's rows. Throws DataError for a missing, empty or malformed file. */
export async function* readRows(file: string): AsyncGenerator<DataRow> {
  const format = formatOf(file);
  checkFile(file);
  let any = false;
  for await (const row of format === "jsonl" ? jsonlRows(file) : csvRows(file)) {
    any = true;
    yield row;
  }
  if (!any) throw new DataError(`${file}: no rows; the dataset must hold at least one row`);
}

export interface Columns {
  inputs: string;
  targets?: string;
  predictions?: string;
}

export interface QaRow {
  index: number;
  line: number;
  input: string;
  target?: string;
  prediction?: string;
}

/** Pick the configured columns from a row; a missing column or non-text value names the row and the fix. */
export function toQaRow(file: string, row: DataRow, columns: Columns): QaRow {
  const pick = (col: string, flag: string): string => {
    if (!(col in row.record)) {
      const have = Object.keys(row.record).join(", ") || "(none)";
      throw new DataError(`${file}: line ${row.line} has no column "${col}" (columns: ${have}); choose one with ${flag}`);
    }
    const v = row.record[col];
    if (typeof v === "string") return v;
    if (typeof v === "number" || typeof v === "boolean") return String(v);
    throw new DataError(`${file}: line ${row.line}: column "${col}" must be text, got ${v === null ? "null" : typeof v}`);
  };
  return {
    index: row.index,
    line: row.line,
    input: pick(columns.inputs, "--inputs-column"),
    target: columns.targets ? pick(columns.targets, "--targets") : undefined,
    prediction: columns.predictions ? pick(columns.predictions, "--predictions") : undefined,
  };
}

/** Stream rows as question/target/prediction triples. */
export async function* readQaRows(file: string, columns: Columns): AsyncGenerator<QaRow> {
  for await (const row of readRows(file)) yield toQaRow(file, row, columns);
}
