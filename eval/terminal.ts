// Text for people at a terminal: one live line that redraws in place (only on a TTY), a plain-text
// table, and durations. Progress lines, spinners and every command's tables use these.

/** "42s", "3m05s", "2h07m"; "?" when unknown. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** Columns padded to their widest cell, a dashed rule under the headers; the last column is not padded. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : (c ?? "").padEnd(widths[i]))).join("  ");
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

const CLEAR = "\r\x1b[2K";

/**
 * A line redrawn in place every `everyMs` from `render()` while enabled (a terminal); when disabled it
 * writes nothing, so logs and pipes stay clean.
 */
export class LiveLine {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly enabled: boolean,
    private readonly write: (text: string) => void,
    private readonly render: () => string | undefined,
    everyMs: number,
  ) {
    if (enabled) this.timer = setInterval(() => this.draw(), everyMs).unref();
  }

  draw(): void {
    const text = this.enabled ? this.render() : undefined;
    if (text !== undefined) this.write(`${CLEAR}${text}`);
  }

  /** Wipe the line so a normal line can be printed in its place. */
  clear(): void {
    if (this.enabled) this.write(CLEAR);
  }

  /** Stop redrawing; leave `last` as a finished line, or nothing. */
  stop(last?: string): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.enabled) this.write(last === undefined ? CLEAR : `${CLEAR}${last}\n`);
  }
}
