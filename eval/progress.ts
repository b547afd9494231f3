// One refreshing stderr line for long runs: rows done/total, rate, retries, ETA. Silent when stderr is
// not a terminal or with --quiet, so logs and pipes stay clean.

export interface ProgressOptions {
  enabled: boolean;
  stream?: NodeJS.WriteStream;
  now?: () => number;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

export class Progress {
  private done = 0;
  private skipped = 0;
  private retries = 0;
  private failed = 0;
  private readonly started: number;
  private timer?: NodeJS.Timeout;
  private readonly stream: NodeJS.WriteStream;
  private readonly now: () => number;

  constructor(
    private readonly total: number,
    private readonly opts: ProgressOptions,
  ) {
    this.stream = opts.stream ?? process.stderr;
    this.now = opts.now ?? Date.now;
    this.started = this.now();
    if (opts.enabled) this.timer = setInterval(() => this.render(), 250).unref();
  }

  rowDone(failed = false): void {
    this.done++;
    if (failed) this.failed++;
  }

  /** A row answered without a request (checkpoint, or a repeated question). */
  reused(): void {
    this.skipped++;
  }

  retry(): void {
    this.retries++;
  }

  line(): string {
    const elapsed = this.now() - this.started;
    const perMin = elapsed > 0 ? (this.done / elapsed) * 60_000 : 0;
    const left = this.total - this.skipped - this.done;
    const eta = this.done > 0 ? (left / this.done) * elapsed : Number.NaN;
    const resumed = this.skipped ? ` (${this.skipped} without a request)` : "";
    return (
      `rows ${this.done + this.skipped}/${this.total}${resumed} · ${perMin.toFixed(1)} rows/min · ` +
      `${this.retries} retries${this.failed ? ` · ${this.failed} failed` : ""} · ETA ${formatDuration(eta)}`
    );
  }

  private render(): void {
    this.stream.write(`\r\x1b[2K${this.line()}`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.opts.enabled) this.stream.write(`\r\x1b[2K${this.line()}\n`);
  }
}
