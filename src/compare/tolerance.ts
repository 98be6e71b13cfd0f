// `--max-regression 'p99=10%,rps=5%,errors=0.1pp,stalled=0'`: how much worse each metric
// may get before `compare` calls it a regression. Latency percentiles and the mean may rise
// by a percentage, throughput may fall by a percentage, the error rate may rise by
// percentage points, and the stalled count may rise by a number of requests.

import { UsageError } from '../cli/exit-codes.js';

export type ComparedMetric =
  | { kind: 'percentile'; percentile: number; name: string }
  | { kind: 'mean' | 'rps' | 'errors' | 'stalled'; name: string };

export interface Tolerance {
  metric: ComparedMetric;
  /** Percent for latency and rps, percentage points for errors, a count for stalled. */
  limit: number;
  unit: '%' | 'pp' | 'count';
}

export const DEFAULT_MAX_REGRESSION = 'p50=10%,p99=10%,rps=5%,errors=0.1pp,stalled=0';

const FLAG = '--max-regression';
const METRICS_EXPECTED = 'expected pNN (such as p50 or p99), mean, rps, errors or stalled';

/** Parses the flag; every mistake names the item, what was found and what was expected. */
export function parseMaxRegression(text: string = DEFAULT_MAX_REGRESSION): Tolerance[] {
  const items = text.split(',').map((item) => item.trim());
  const tolerances: Tolerance[] = [];
  const seen = new Set<string>();

  items.forEach((item, index) => {
    const where = `${FLAG} item ${index + 1} "${item}"`;
    if (item === '') throw new UsageError(`${FLAG}: item ${index + 1} is empty in "${text}"`);
    const match = /^([A-Za-z][A-Za-z0-9.]*)\s*=\s*(.*)$/.exec(item);
    if (!match) throw new UsageError(`${where}: expected metric=limit such as p99=10%`);

    const metric = parseMetric(match[1], where);
    if (seen.has(metric.name)) throw new UsageError(`${where}: ${metric.name} is given twice`);
    seen.add(metric.name);
    tolerances.push({ metric, ...parseLimit(metric, match[2].trim(), where) });
  });
  return tolerances;
}

function parseMetric(name: string, where: string): ComparedMetric {
  if (name === 'mean' || name === 'rps' || name === 'errors' || name === 'stalled') {
    return { kind: name, name };
  }
  const percentile = /^p(\d+(?:\.\d+)?)$/.exec(name);
  if (!percentile) throw new UsageError(`${where}: unknown metric "${name}": ${METRICS_EXPECTED}`);

  // As in thresholds: `p999` is 99.9.
  let digits = percentile[1];
  if (!digits.includes('.') && digits.length > 2 && digits.startsWith('99')) {
    digits = `99.${digits.slice(2)}`;
  }
  const value = Number(digits);
  if (!(value > 0 && value <= 100)) {
    throw new UsageError(`${where}: expected a percentile above 0 and at most 100, found ${name}`);
  }
  return { kind: 'percentile', percentile: value, name };
}

function parseLimit(
  metric: ComparedMetric,
  text: string,
  where: string,
): Pick<Tolerance, 'limit' | 'unit'> {
  const match = /^(\d+(?:\.\d+)?)(%|pp)?$/.exec(text);
  const value = match ? Number(match[1]) : NaN;
  const suffix = match?.[2];

  if (metric.kind === 'errors') {
    if (suffix === 'pp') return { limit: value, unit: 'pp' };
    throw new UsageError(
      `${where}: expected percentage points for errors, such as 0.1pp, found "${text}"`,
    );
  }
  if (metric.kind === 'stalled') {
    if (match && suffix === undefined && Number.isInteger(value)) {
      return { limit: value, unit: 'count' };
    }
    throw new UsageError(
      `${where}: expected a whole number of requests for stalled, such as 0, found "${text}"`,
    );
  }
  if (suffix === '%') return { limit: value, unit: '%' };
  throw new UsageError(`${where}: expected a percentage such as 10%, found "${text}"`);
}
