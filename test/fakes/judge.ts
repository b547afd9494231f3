// How the Azure OpenAI fake answers evallab's judge prompts: a verdict derived from what it sees, so
// tests know the right answer — correct when the answer contains the expected text, relevant when it
// shares a content word with the question, unsafe when it holds a word from a short list, a guideline
// "mention X" met when X appears. "[malformed]" in a question gets an unreadable reply every time,
// "[malformed-once]" only the first time.

export interface JudgeRequest {
  scorer: string;
  question: string;
  answer: string;
  expected?: string;
  guidelines: string[];
}

const section = (text: string, tag: string) => new RegExp(`<${tag}>\\n([\\s\\S]*?)\\n</${tag}>`).exec(text)?.[1];
const inline = (text: string, tag: string) => new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(text)?.[1];

/**
 * MLflow 3's built-in judge prompts (mlflow/genai/judges/prompts/*.py, sent as one user message):
 * correctness asks whether <claim> is supported by <document>{question} - {answer}</document>, safety
 * classifies <text>, relevance_to_query reads <question> and <answer>, guidelines lists <guideline>s
 * with the inputs as <request> and <response>. Questions arrive as MLflow renders its inputs dict.
 */
function mlflowJudgeRequest(user: string): JudgeRequest | undefined {
  const unwrap = (q: string) => /^\{'question': '(.*)'\}$/s.exec(q)?.[1] ?? q;
  if (user.includes("content safety classifier")) {
    const text = inline(user, "text");
    return text === undefined ? undefined : { scorer: "safety", question: "", answer: text, guidelines: [] };
  }
  const question = inline(user, "question");
  const claim = inline(user, "claim");
  const document = inline(user, "document");
  if (question !== undefined && claim !== undefined && document !== undefined) {
    const answer = document.startsWith(`${question} - `) ? document.slice(question.length + 3) : document;
    return { scorer: "correctness", question: unwrap(question), answer, expected: claim, guidelines: [] };
  }
  const answer = inline(user, "answer");
  if (question !== undefined && answer !== undefined) return { scorer: "relevance_to_query", question: unwrap(question), answer, guidelines: [] };
  const guidelines = [...user.matchAll(/<guideline>([\s\S]*?)<\/guideline>/g)].map((m) => m[1]);
  if (guidelines.length) {
    return { scorer: "guidelines", question: unwrap(inline(user, "request") ?? ""), answer: inline(user, "response") ?? "", guidelines };
  }
  return undefined;
}

/** The judge request in a chat, or undefined when the chat is not one of evallab's judge prompts. */
export function judgeRequest(system: string, user: string): JudgeRequest | undefined {
  if (!system) return mlflowJudgeRequest(user);
  const scorer = /\(evallab scorer: ([a-z_]+)\)/.exec(system)?.[1];
  const question = section(user, "question");
  const answer = section(user, "answer");
  if (!scorer || question === undefined || answer === undefined) return undefined;
  const guidelines = (section(user, "guidelines") ?? "")
    .split("\n")
    .map((l) => l.replace(/^- /, "").trim())
    .filter(Boolean);
  return { scorer, question, answer, expected: section(user, "expected"), guidelines };
}

const UNSAFE = ["bomb", "kill", "hate"];
const words = (s: string) => new Set(s.toLowerCase().match(/[a-z]{4,}/g) ?? []);
const norm = (s: string) => s.toLowerCase().replace(/\s+/g, " ").trim();

export function expectedVerdict(r: JudgeRequest): { result: "yes" | "no"; rationale: string } {
  switch (r.scorer) {
    case "correctness": {
      const ok = r.expected !== undefined && norm(r.answer).includes(norm(r.expected));
      return { result: ok ? "yes" : "no", rationale: ok ? "The answer states the expected facts." : "The expected facts are missing from the answer." };
    }
    case "relevance_to_query": {
      const q = words(r.question);
      const ok = [...words(r.answer)].some((w) => q.has(w));
      return { result: ok ? "yes" : "no", rationale: ok ? "The answer is about what was asked." : "The answer is about something else." };
    }
    case "safety": {
      const bad = UNSAFE.find((w) => r.answer.toLowerCase().includes(w));
      return { result: bad ? "no" : "yes", rationale: bad ? `The answer mentions "${bad}".` : "Nothing harmful." };
    }
    default: {
      const missed = r.guidelines.map((g) => /^mention (.+)$/i.exec(g)?.[1]).find((x) => x && !r.answer.toLowerCase().includes(x.toLowerCase()));
      return { result: missed ? "no" : "yes", rationale: missed ? `It does not mention ${missed}.` : "Every guideline is met." };
    }
  }
}

export class FakeJudge {
  private readonly seen = new Map<string, number>();

  /** MLflow asks for raw JSON ("no markdown"); evallab's prompt allows either, and gets a fence. */
  reply(r: JudgeRequest, user: string, fenced = true): string {
    const n = (this.seen.get(user) ?? 0) + 1;
    this.seen.set(user, n);
    if (r.question.includes("[malformed]") || (r.question.includes("[malformed-once]") && n === 1)) return "Hmm, hard to say. Probably fine?";
    // Models often fence their JSON; the parser must cope.
    const json = JSON.stringify(expectedVerdict(r));
    return fenced ? `\`\`\`json\n${json}\n\`\`\`` : json;
  }
}
