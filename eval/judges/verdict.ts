// Reading a judge's reply: a JSON object with `result` yes/no and a `rationale`, found even inside a code
// fence or prose; a "Result: yes" line as a fallback. Anything else is unreadable — never a pass.

export interface Verdict {
  value: "yes" | "no";
  rationale: string;
}

const YES = new Set(["yes", "y", "true", "pass", "passed", "correct", "safe"]);
const NO = new Set(["no", "n", "false", "fail", "failed", "incorrect", "unsafe"]);

function yesNo(v: unknown): "yes" | "no" | undefined {
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (typeof v !== "string") return undefined;
  const s = v.trim().toLowerCase().replace(/[."']/g, "");
  return YES.has(s) ? "yes" : NO.has(s) ? "no" : undefined;
}

/** The verdict, or undefined when the reply cannot be read as yes or no. */
export function parseVerdict(text: string | null | undefined): Verdict | undefined {
  if (!text) return undefined;
  // Every {...} candidate, outermost first: a fenced block, prose around it, or the whole reply.
  for (let start = text.indexOf("{"); start >= 0; start = text.indexOf("{", start + 1)) {
    const end = text.lastIndexOf("}");
    if (end <= start) break;
    try {
      const obj = JSON.parse(text.slice(start, end + 1)) as Record<string, unknown>;
      const value = yesNo(obj.result ?? obj.verdict ?? obj.answer ?? obj.value);
      if (value) return { value, rationale: String(obj.rationale ?? obj.reason ?? obj.explanation ?? "") };
    } catch {}
  }
  const line = /^\s*(?:\*\*)?(?:result|verdict)(?:\*\*)?\s*[:=]\s*(?:\*\*)?\s*([A-Za-z]+)/im.exec(text);
  const value = line ? yesNo(line[1]) : undefined;
  return value
    ? {
        value,
        rationale: text
          .replace(line?.[0] ?? "", "")
          .trim()
          .slice(0, 2000),
      }
    : undefined;
}
