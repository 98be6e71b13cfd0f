// Thresholds gate a run: `p99(item) < 300ms`, `errors < 1%`, `stalled == 0`.
// Grammar: metric [ "(" step name ")" ] op value. A hand-written scanner keeps the offset of
// each token so a mistake is reported at the exact column inside the expression.

import { didYouMean } from './errors.js';
import { parseDuration } from './duration.js';
import type { ComparisonOp, Threshold } from './types.js';

/** A threshold that does not parse; `column` is the 0-based offset into the text. */
export class ThresholdSyntaxError extends Error {
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
    this.name = 'ThresholdSyntaxError';
  }
}

type Metric = Threshold['metric'];
type ValueKind = 'latency' | 'count' | 'errors' | 'rps';

const NAMED_METRICS: Record<string, { metric: Metric; value: ValueKind }> = {
  min: { metric: { kind: 'min' }, value: 'latency' },
  max: { metric: { kind: 'max' }, value: 'latency' },
  mean: { metric: { kind: 'mean' }, value: 'latency' },
  count: { metric: { kind: 'count' }, value: 'count' },
  requests: { metric: { kind: 'count' }, value: 'count' },
  errors: { metric: { kind: 'errors' }, value: 'errors' },
  stalled: { metric: { kind: 'stalled' }, value: 'count' },
  dropped: { metric: { kind: 'dropped' }, value: 'count' },
  rps: { metric: { kind: 'rps' }, value: 'rps' },
  lost: { metric: { kind: 'lost' }, value: 'count' },
  duplicates: { metric: { kind: 'duplicates' }, value: 'count' },
  seqGaps: { metric: { kind: 'seqGaps' }, value: 'count' },
  reconnects: { metric: { kind: 'reconnects' }, value: 'count' },
};

/** Metrics of the whole run, for which a step name makes no sense. */
const RUN_WIDE = new Set(['dropped', 'lost', 'duplicates', 'seqGaps', 'reconnects']);
const DELIVERY_PREFIX = 'delivery.';

const METRICS_EXPECTED =
  'expected a metric such as p50, p95, p99, p999, min, max, mean, count, errors, stalled, ' +
  'dropped, rps, delivery.p99, lost, duplicates, seqGaps or reconnects';
const OPS: ComparisonOp[] = ['<=', '>=', '==', '!=', '<', '>'];
const LATENCY_UNITS = ['us', 'ms', 's', 'm'];

export function parseThreshold(text: string): Threshold {
  const cursor = new Cursor(text);
  const { metric, value: valueKind, name, delivery } = readMetricOrDelivery(cursor);
  const step = readStep(cursor, delivery ? 'delivery' : name);
  const op = readOp(cursor);
  const { value, unit } = readValue(cursor, valueKind);

  cursor.skipSpace();
  if (!cursor.atEnd()) cursor.fail(`expected the end of the threshold, found ${cursor.found()}`);
  const threshold: Threshold = { source: text, metric, op, value, unit };
  if (step !== undefined) threshold.step = step;
  if (delivery) threshold.of = 'delivery';
  return threshold;
}

/** `delivery.p99` and friends: the latency metrics, applied to message delivery. */
function readMetricOrDelivery(cursor: Cursor) {
  cursor.skipSpace();
  const start = cursor.position;
  const read = readMetric(cursor);
  if (!read.name.startsWith(DELIVERY_PREFIX)) return { ...read, delivery: false };

  const inner = new Cursor(read.name.slice(DELIVERY_PREFIX.length));
  let metric: ReturnType<typeof readMetric>;
  try {
    metric = readMetric(inner);
  } catch (error) {
    const column = start + DELIVERY_PREFIX.length + (error as ThresholdSyntaxError).column;
    return cursor.fail((error as Error).message, column);
  }
  if (metric.value !== 'latency' || !inner.atEnd()) {
    cursor.fail(
      `expected a latency metric after "delivery." such as delivery.p99, found "${read.name}"`,
      start,
    );
  }
  return { ...metric, delivery: true };
}

function readMetric(cursor: Cursor): { metric: Metric; value: ValueKind; name: string } {
  cursor.skipSpace();
  const start = cursor.position;
  const name = cursor.match(/[A-Za-z][A-Za-z0-9.]*/y);
  if (!name) cursor.fail(`${METRICS_EXPECTED}, found ${cursor.found()}`);

  const named = NAMED_METRICS[name];
  if (named) return { ...named, name };
  if (name.startsWith(DELIVERY_PREFIX)) {
    return { metric: { kind: 'max' } as Metric, value: 'latency' as ValueKind, name };
  }

  const percentile = /^p(\d+(?:\.\d+)?)$/.exec(name);
  if (!percentile) {
    const candidates = [...Object.keys(NAMED_METRICS), 'p50', 'p90', 'p95', 'p99', 'p999'];
    cursor.fail(
      `unknown metric "${name}": ${METRICS_EXPECTED}${didYouMean(name, candidates)}`,
      start,
    );
  }

  // `p999` reads as 99.9 and `p9999` as 99.99: digits past "99" are decimals.
  let digits = percentile[1];
  if (!digits.includes('.') && digits.length > 2 && digits.startsWith('99')) {
    digits = `99.${digits.slice(2)}`;
  }
  const value = Number(digits);
  if (!(value > 0 && value <= 100)) {
    cursor.fail(
      `expected a percentile above 0 and at most 100 (p999 means 99.9), found "${name}"`,
      start,
    );
  }
  return { metric: { kind: 'percentile', percentile: value }, value: 'latency', name };
}

// The step name runs to the last `)`, so names such as `GET /items/{{ id }}` need no quoting.
function readStep(cursor: Cursor, metricName: string): string | undefined {
  cursor.skipSpace();
  const open = cursor.position;
  if (!cursor.eat('(')) return undefined;
  if (RUN_WIDE.has(metricName) || metricName === 'delivery') {
    cursor.fail(`expected no step name: ${metricName} is counted for the whole run`, open);
  }

  const close = cursor.text.lastIndexOf(')');
  if (close < open) cursor.fail('expected ")" to close the step name', cursor.text.length);

  const name = cursor.text.slice(open + 1, close).trim();
  if (!name) cursor.fail('expected a step name between "(" and ")"', open + 1);
  cursor.position = close + 1;
  return name;
}

function readOp(cursor: Cursor): ComparisonOp {
  cursor.skipSpace();
  for (const op of OPS) {
    if (cursor.eat(op)) return op;
  }
  return cursor.fail(`expected a comparison (< <= > >= == !=), found ${cursor.found()}`);
}

function readValue(cursor: Cursor, kind: ValueKind): { value: number; unit: Threshold['unit'] } {
  cursor.skipSpace();
  const start = cursor.position;
  const number = cursor.match(/\d+(?:\.\d+)?|\.\d+/y);
  if (!number) cursor.fail(`expected a non-negative number, found ${cursor.found()}`);

  const suffixStart = cursor.position;
  const suffix = cursor.match(/[A-Za-zµ%/]+/y) ?? '';
  const value = Number(number);

  if (kind === 'latency') return { value: latency(cursor, number, suffix, start), unit: 'ms' };
  if (kind === 'errors' && suffix === '%') {
    if (value > 100) cursor.fail(`expected a percentage from 0 to 100, found ${number}%`, start);
    return { value, unit: 'percent' };
  }
  if (kind === 'rps' && (suffix === '' || suffix === '/s')) return { value, unit: 'perSec' };
  if (suffix === '') return { value, unit: 'count' };

  const expected =
    kind === 'errors'
      ? 'a count or a percentage such as 1%'
      : kind === 'rps'
        ? 'a plain number of requests per second'
        : 'a plain count';
  return cursor.fail(`expected ${expected}, found "${number}${suffix}"`, suffixStart);
}

function latency(cursor: Cursor, number: string, suffix: string, start: number): number {
  if (!suffix) {
    cursor.fail(
      `expected a latency with a unit (us, ms, s or m) such as ${number}ms, found ${number}`,
      cursor.position,
    );
  }
  if (!LATENCY_UNITS.includes(suffix)) {
    cursor.fail(
      `expected a latency unit (us, ms, s or m), found "${suffix}"`,
      start + number.length,
    );
  }
  return parseDuration(number + suffix);
}

class Cursor {
  position = 0;

  constructor(readonly text: string) {}

  atEnd(): boolean {
    return this.position >= this.text.length;
  }

  skipSpace(): void {
    while (this.text[this.position] === ' ' || this.text[this.position] === '\t') this.position++;
  }

  eat(token: string): boolean {
    if (!this.text.startsWith(token, this.position)) return false;
    this.position += token.length;
    return true;
  }

  /** Consumes a sticky pattern at the current position, returning the text matched. */
  match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.position;
    const found = pattern.exec(this.text);
    if (!found) return undefined;
    this.position += found[0].length;
    return found[0];
  }

  found(): string {
    if (this.atEnd()) return 'the end of the threshold';
    return JSON.stringify(this.text.slice(this.position).split(/\s/)[0]);
  }

  fail(message: string, column = this.position): never {
    throw new ThresholdSyntaxError(message, column);
  }
}
