// Progress a person can follow: on a terminal one spinner line with the current step and elapsed
// time; elsewhere (CI, pipes) one plain line per finished step.

import { formatDuration } from "../eval/progress.ts";
import type { ProgressEvent } from "./cdktf-runner.ts";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export class StepReporter {
  private current = "";
  private frame = 0;
  private timer?: NodeJS.Timeout;
  private readonly started = Date.now();

  constructor(
    private readonly tty: boolean,
    private readonly write: (line: string) => void,
    private readonly raw: (text: string) => void = (t) => process.stderr.write(t),
  ) {
    if (tty) this.timer = setInterval(() => this.draw(), 120).unref();
  }

  private draw() {
    if (!this.current) return;
    this.raw(`\r\x1b[2K${FRAMES[this.frame++ % FRAMES.length]} ${this.current} · ${formatDuration(Date.now() - this.started)}`);
  }

  /** A step is under way (replaces the spinner text). */
  status(text: string): void {
    this.current = text;
    if (this.tty) this.draw();
  }

  /** A step finished: always worth a line. */
  done(text: string): void {
    if (this.tty) this.raw("\r\x1b[2K");
    this.write(`  ${text}`);
  }

  /** Feed cdktf progress events. */
  onCdktf(e: ProgressEvent): void {
    if (e.type === "stack") this.done(`[${e.stack}] ${e.summary}`);
    else if (e.action === "creating" || e.action === "destroying" || e.action === "modifying") this.status(`[${e.stack}] ${e.action} ${e.resource}`);
    else this.done(`[${e.stack}] ${e.action} ${e.resource}${e.elapsed ? ` (${e.elapsed})` : ""}`);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.tty) this.raw("\r\x1b[2K");
    this.current = "";
  }
}
