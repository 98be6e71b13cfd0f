// Durations (`250ms`, `1m30s`) and rates (`200/s`) as written in scenario files.
// Units are mandatory: a bare `30` could mean seconds or milliseconds, and guessing wrong
// turns a 30-second test into a 30-millisecond one without a word.

export const DURATION_EXPECTED = 'a duration such as 500ms, 30s or 2m';
export const RANGE_EXPECTED = 'a duration or range such as 100ms..300ms';
export const RATE_EXPECTED = 'a rate such as 200/s, 600/m or 10/h';

/** Bad duration or rate text; the message says what was expected and what was found. */
export class DurationSyntaxError extends Error {
  constructor(expected: string, found: string) {
    super(`expected ${expected}, found ${JSON.stringify(found)}`);
    this.name = 'DurationSyntaxError';
  }
}

const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
};

// `ms` and `us` come before `m` and `s` so the longest unit wins at each position.
const SEGMENT = /(\d+(?:\.\d+)?|\.\d+)(ms|us|µs|h|m|s)/y;

/** Milliseconds in `250ms`, `1.5s`, `1m30s`, `500us` (fractions of a ms are kept). */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  let total = 0;
  let previousUnitMs = Infinity;
  let offset = 0;

  while (offset < trimmed.length) {
    SEGMENT.lastIndex = offset;
    const match = SEGMENT.exec(trimmed);
    if (!match) throw new DurationSyntaxError(DURATION_EXPECTED, text);

    // `30s1m` or `1s1s` is more likely a typo than a sum someone meant to write.
    const unitMs = UNIT_MS[match[2]];
    if (unitMs >= previousUnitMs) throw new DurationSyntaxError(DURATION_EXPECTED, text);

    total += Number(match[1]) * unitMs;
    previousUnitMs = unitMs;
    offset = SEGMENT.lastIndex;
  }

  if (offset === 0) throw new DurationSyntaxError(DURATION_EXPECTED, text);
  return total;
}

/** `1s` (a fixed pause) or `100ms..300ms` (uniformly drawn); max must not be below min. */
export function parseDurationRange(text: string): { minMs: number; maxMs: number } {
  const parts = text.split('..');
  if (parts.length > 2) throw new DurationSyntaxError(RANGE_EXPECTED, text);

  try {
    const minMs = parseDuration(parts[0]);
    const maxMs = parts.length === 2 ? parseDuration(parts[1]) : minMs;
    if (maxMs < minMs) throw new DurationSyntaxError(RANGE_EXPECTED, text);
    return { minMs, maxMs };
  } catch {
    throw new DurationSyntaxError(RANGE_EXPECTED, text);
  }
}

const RATE = /^(\d+(?:\.\d+)?|\.\d+)\s*\/\s*(s|m|h)$/;

/** Per-second rate of `200/s`, `600/m` or `10/h`. */
export function parseRate(text: string): number {
  const match = RATE.exec(text.trim());
  if (!match) throw new DurationSyntaxError(RATE_EXPECTED, text);
  return (Number(match[1]) * 1000) / UNIT_MS[match[2]];
}
