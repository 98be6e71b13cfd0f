// Reads result documents for `chatload report` and checks the fields the report draws on,
// so that a wrong or truncated file is refused with the file, the field, what was found
// and what was expected, rather than drawn as an empty chart.

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UsageError } from '../../cli/exit-codes.js';
import { describeValue, formatPath } from '../../scenario/errors.js';
import { RESULT_SCHEMA, type ResultDocument } from '../result.js';

// Problems listed per file before the rest are summed up in a count.
const ISSUES_SHOWN = 5;

const num = z.number();
const latency = z.looseObject({ min: num, p50: num, p90: num, p99: num, p999: num, max: num });
const stalls = z.looseObject({ recovered: num, timedOut: num, neverCompleted: num });
const errorCounts = z.record(z.string(), num);

const step = z.looseObject({
  name: z.string(),
  count: num,
  completed: num,
  errors: num,
  errorsByClass: errorCounts,
  stalled: num,
  stalls,
  rps: num,
  latency,
});

const point = z.looseObject({
  t: num,
  seconds: num,
  users: num,
  target: num,
  requests: num,
  errors: num,
  rps: num,
  p50: num,
  p90: num,
  p99: num,
  max: num,
  inFlight: num,
  stalledNow: num,
  dropped: num,
  cpu: num,
  loopDelayP99: num,
  steps: z.record(z.string(), z.looseObject({ p50: num, p99: num, max: num })),
});

const resultShape = z.looseObject({
  scenario: z.looseObject({ name: z.string(), file: z.string() }),
  config: z.looseObject({
    target: z.string(),
    seed: num,
    timeouts: z.looseObject({ requestMs: num, stallMs: num, graceMs: num }),
  }),
  environment: z.looseObject({ node: z.string(), cpus: num, cpuModel: z.string() }),
  run: z.looseObject({
    startedAt: z.string(),
    endedAt: z.string(),
    durationMs: num,
    stopReason: z.string(),
  }),
  totals: z.looseObject({ requests: num, errors: num, errorRate: num, stalled: num, latency }),
  steps: z.array(step),
  stalls: z.looseObject({ list: z.array(z.looseObject({ step: z.string() })), notListed: num }),
  freezes: z.array(z.looseObject({ startMs: num, lengthMs: num, requestsHeld: num })),
  thresholds: z.array(z.looseObject({ expression: z.string(), passed: z.boolean() })),
  timeline: z.array(point),
  generator: z.looseObject({ cpuSeconds: num, internalErrors: z.array(z.string()) }),
});

/** Reads and checks one result document; a UsageError says what is wrong and where. */
export function readResultFile(file: string): ResultDocument {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : error;
    throw new UsageError(`cannot read result ${file}: ${reason}`);
  }

  let data: unknown;
  try {
    data = JSON.parse(source);
  } catch (error) {
    throw new UsageError(`${file}: not a result document: ${(error as Error).message}`);
  }
  return checkResult(data, file);
}

export function checkResult(data: unknown, file: string): ResultDocument {
  const schema = (data as { schema?: unknown } | null)?.schema;
  if (schema !== RESULT_SCHEMA) {
    throw new UsageError(
      `${file}: schema: expected "${RESULT_SCHEMA}" (a result written by chatload run), ` +
        `found ${describeValue(schema)}`,
    );
  }

  const checked = resultShape.safeParse(data, { reportInput: true });
  if (checked.success) return data as ResultDocument;

  const issues = checked.error.issues;
  const lines = issues.slice(0, ISSUES_SHOWN).map((issue) => {
    const where = formatPath(issue.path as (string | number)[]) || '(document)';
    const expected = 'expected' in issue ? `expected ${String(issue.expected)}, ` : '';
    return `${file}: ${where}: ${expected}found ${describeValue(issue.input)}`;
  });
  if (issues.length > ISSUES_SHOWN) lines.push(`… and ${issues.length - ISSUES_SHOWN} more`);
  throw new UsageError(`not a valid result document:\n${lines.join('\n')}`);
}
