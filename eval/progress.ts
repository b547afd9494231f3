// One refreshing stderr line for long runs: rows done/total, rate, retries, ETA. Silent when stderr is
// not a terminal or with --quiet, so logs and pipes stay clean.
import { formatDuration, LiveLine } from "./terminal.ts";

export interface ProgressOptions {
  enabled: boolean;
  stream?: NodeJS.WriteStream;
  now?: () => number;
}

export class Progress {
  private done = 0;
  private skipped = 0;
  private retries = 0;
  private failed = 0;
  private readonly started: number;
  private readonly live: LiveLine;
  private readonly now: () => number;

  constructor(
    private readonly total: number,
    opts: ProgressOptions,
  ) {
    const stream = opts.stream ?? process.stderr;
    this.now = opts.now ?? Date.now;
    this.started = this.now();
    this.live = new LiveLine(
      opts.enabled,
      (t) => stream.write(t),
      () => this.line(),
      250,
    );
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

  stop(): void {
    this.live.stop(this.line());
  }
}
