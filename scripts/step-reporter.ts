// Progress a person can follow: on a terminal one spinner line with the current step and elapsed
// time; elsewhere (CI, pipes) one plain line per finished step.
import { formatDuration, LiveLine } from "../eval/terminal.ts";
import type { ProgressEvent } from "./cdktf-runner.ts";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

export class StepReporter {
  private current = "";
  private frame = 0;
  private readonly started = Date.now();
  private readonly live: LiveLine;

  constructor(
    tty: boolean,
    private readonly write: (line: string) => void,
    raw: (text: string) => void = (t) => process.stderr.write(t),
  ) {
    this.live = new LiveLine(
      tty,
      raw,
      () => (this.current ? `${FRAMES[this.frame++ % FRAMES.length]} ${this.current} · ${formatDuration(Date.now() - this.started)}` : undefined),
      120,
    );
  }

  /** A step is under way (replaces the spinner text). */
  status(text: string): void {
    this.current = text;
    this.live.draw();
  }

  /** A step finished: always worth a line. */
  done(text: string): void {
    this.live.clear();
    this.write(`  ${text}`);
  }

  /** Feed cdktf progress events. */
  onCdktf(e: ProgressEvent): void {
    if (e.type === "stack") this.done(`[${e.stack}] ${e.summary}`);
    else if (e.action === "creating" || e.action === "destroying" || e.action === "modifying") this.status(`[${e.stack}] ${e.action} ${e.resource}`);
    else this.done(`[${e.stack}] ${e.action} ${e.resource}${e.elapsed ? ` (${e.elapsed})` : ""}`);
  }

  stop(): void {
    this.live.stop();
    this.current = "";
  }
}
