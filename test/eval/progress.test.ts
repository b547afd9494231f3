import { describe, expect, it } from "vitest";
import { Progress } from "../../eval/progress.ts";
import { formatDuration } from "../../eval/terminal.ts";

describe("progress line", () => {
  it("shows rows done of total, reused rows, rate, retries, failures and ETA", () => {
    let t = 0;
    const p = new Progress(100, { enabled: false, now: () => t });
    for (let i = 0; i < 10; i++) p.reused();
    for (let i = 0; i < 30; i++) p.rowDone(i === 0);
    p.retry();
    p.retry();
    t = 60_000; // 30 rows in a minute: the 60 left take two more
    expect(p.line()).toBe("rows 40/100 (10 without a request) · 30.0 rows/min · 2 retries · 1 failed · ETA 2m00s");
  });
  it("formats durations", () => {
    expect(formatDuration(59_400)).toBe("59s");
    expect(formatDuration(3_599_000)).toBe("59m59s");
    expect(formatDuration(7_260_000)).toBe("2h01m");
    expect(formatDuration(Number.NaN)).toBe("?");
  });
});
