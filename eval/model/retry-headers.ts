// Azure OpenAI's throttling hints: how long to wait, and how much budget is left.

type HeaderSource = Headers | Record<string, string | string[] | undefined> | undefined | null;

export function header(h: HeaderSource, name: string): string | undefined {
  if (!h) return undefined;
  if (typeof (h as Headers).get === "function") return (h as Headers).get(name) ?? undefined;
  const v = (h as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Milliseconds to wait from `retry-after-ms`, `x-ms-retry-after-ms` or `retry-after` (seconds or a date). */
export function retryAfterMs(h: HeaderSource, now = Date.now()): number | undefined {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const v = Number(header(h, name));
    if (header(h, name) !== undefined && Number.isFinite(v) && v >= 0) return v;
  }
  const ra = header(h, "retry-after");
  if (ra === undefined) return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface RateBudget {
  remainingRequests?: number;
  remainingTokens?: number;
}

export function rateBudget(h: HeaderSource): RateBudget {
  const num = (name: string) => {
    const v = header(h, name);
    const n = v === undefined ? Number.NaN : Number(v);
    return Number.isFinite(n) ? n : undefined;
  };
  return { remainingRequests: num("x-ratelimit-remaining-requests"), remainingTokens: num("x-ratelimit-remaining-tokens") };
}
