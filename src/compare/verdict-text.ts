// The one line that says how a comparison verdict was reached, such as
// "p99 +12.4% (+3.1ms, CI +8.1%..+16.0%), beyond 10%".

import type { MetricComparison } from './compare.js';
import { MIN_EFFECT_MS, MIN_EFFECT_PERCENT } from './compare.js';

type Entry = Omit<MetricComparison, 'verdict' | 'reason'>;
export type Decision = 'beyond' | 'noise' | 'small' | 'within' | 'improved' | 'empty';

export function describeChange(entry: Entry, decision: Decision): string {
  if (decision === 'empty') return `${entry.metric}: no request completed in one run, not judged`;
  const limit = limitText(entry);
  const change = `${entry.metric} ${changeText(entry)}${intervalText(entry)}`;
  switch (decision) {
    case 'beyond':
      return `${change}, beyond ${limit}`;
    case 'noise':
      return `${change}, beyond ${limit} but the CI includes 0: noise`;
    case 'small':
      return entry.delta === 0
        ? `${change}, unchanged`
        : `${change}, under the minimum effect (${MIN_EFFECT_PERCENT}% or ${MIN_EFFECT_MS}ms)`;
    case 'within':
      return `${change}, within ${limit}`;
    case 'improved':
      return `${change}, improved beyond ${limit}`;
  }
}

function changeText(entry: Entry): string {
  switch (entry.unit) {
    case 'ms':
      return `${percent(entry.deltaPercent)} (${signed(entry.delta)}ms`;
    case '/s':
      return `${percent(entry.deltaPercent)} (${signed(entry.delta)}/s`;
    case '%':
      return `${signed(entry.delta)}pp (`;
    case 'count':
      return entry.delta >= 0 ? `+${entry.delta}` : String(entry.delta);
  }
}

function intervalText(entry: Entry): string {
  if (entry.unit === 'count') return '';
  const interval = entry.interval;
  const unit = entry.unit === '%' ? 'pp' : '%';
  const separator = entry.unit === '%' ? '' : ', ';
  if (interval === null) return `${separator}no CI: too few samples)`;
  return `${separator}CI ${signed(interval.low)}${unit}..${signed(interval.high)}${unit})`;
}

function limitText(entry: Entry): string {
  const tolerance = entry.tolerance;
  return tolerance.unit === 'count'
    ? String(tolerance.limit)
    : `${tolerance.limit}${tolerance.unit}`;
}

function percent(value: number | null): string {
  return value === null ? 'n/a' : `${signed(value)}%`;
}

export function signed(value: number): string {
  const text = Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1);
  return value >= 0 ? `+${text}` : text;
}
