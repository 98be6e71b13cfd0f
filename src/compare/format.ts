// Prints a comparison: one table per step and one for the totals (base, new, delta,
// delta %, verdict), then one line per verdict saying how it was decided.

import Table from 'cli-table3';
import type { Comparison, MetricComparison } from './compare.js';
import { signed } from './verdict-text.js';
import { plain } from '../report/tables.js';

export function formatComparison(comparison: Comparison): string {
  const { base, next } = comparison;
  const parts = [
    `comparing ${next.label} (${next.startedAt}) with ${base.label} (${base.startedAt})` +
      ` · ${base.scenario}`,
  ];
  if (comparison.differences.length > 0) {
    parts.push(`compared with --force although: ${comparison.differences.join('; ')}`);
  }
  for (const [scope, metrics] of groupByScope(comparison.metrics)) {
    parts.push(`${scope}\n${scopeTable(metrics)}`);
  }
  parts.push(verdictLines(comparison));
  return parts.join('\n\n') + '\n';
}

export function groupByScope(metrics: readonly MetricComparison[]) {
  const groups = new Map<string, MetricComparison[]>();
  for (const metric of metrics) {
    const group = groups.get(metric.scope) ?? [];
    group.push(metric);
    groups.set(metric.scope, group);
  }
  return groups;
}

function scopeTable(metrics: readonly MetricComparison[]): string {
  const table = new Table({
    head: ['metric', 'base', 'new', 'delta', 'delta %', 'verdict'],
    style: plain,
    colAligns: ['left', 'right', 'right', 'right', 'right', 'left'],
  });
  for (const m of metrics) {
    table.push([
      m.metric,
      valueText(m.base, m.unit),
      valueText(m.next, m.unit),
      deltaText(m),
      m.deltaPercent === null ? 'n/a' : `${signed(m.deltaPercent)}%`,
      verdictText(m),
    ]);
  }
  return table.toString();
}

export function valueText(value: number, unit: MetricComparison['unit']): string {
  if (unit === 'count') return String(value);
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return `${value.toFixed(digits)}${unit === '/s' ? '/s' : unit}`;
}

export function deltaText(m: MetricComparison): string {
  if (m.unit === 'count') return m.delta >= 0 ? `+${m.delta}` : String(m.delta);
  return `${signed(m.delta)}${m.unit === '%' ? 'pp' : m.unit}`;
}

export function verdictText(m: MetricComparison): string {
  return m.verdict === 'regressed' ? 'REGRESSED' : m.verdict;
}

function verdictLines(comparison: Comparison): string {
  const lines = comparison.metrics.map(
    (m) => `${m.verdict === 'regressed' ? 'REGRESSED' : m.verdict}: ${m.scope}: ${m.reason}`,
  );
  const regressions = comparison.metrics.filter((m) => m.verdict === 'regressed').length;
  lines.push(
    regressions === 0
      ? 'no regression beyond the tolerances'
      : `${regressions} regression${regressions === 1 ? '' : 's'} beyond the tolerances`,
  );
  return lines.join('\n');
}
