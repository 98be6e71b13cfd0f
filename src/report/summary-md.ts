// The Markdown summary for CI pages (`--summary-md`, `$GITHUB_STEP_SUMMARY`): the steps
// table, the thresholds and, with a baseline, the comparison with its verdicts.

import type { Comparison } from '../compare/compare.js';
import { deltaText, groupByScope, valueText, verdictText } from '../compare/format.js';
import { signed } from '../compare/verdict-text.js';
import { formatMeasured } from './gates.js';
import type { ResultDocument } from './result.js';

export function formatSummaryMarkdown(result: ResultDocument, comparison?: Comparison): string {
  const failed = result.thresholds.filter((v) => !v.passed).length;
  const regressed = comparison?.metrics.filter((m) => m.verdict === 'regressed').length ?? 0;
  const verdict = failed + regressed === 0 ? 'passed' : 'FAILED';
  const parts = [
    `## chatload: ${cell(result.scenario.name)} ${verdict}`,
    `${(result.run.durationMs / 1000).toFixed(1)} s against \`${result.config.target}\`, ` +
      `${result.totals.requests} requests, ${result.totals.stalled} stalled, ` +
      `${result.freezes.length} freezes, stop: ${result.run.stopReason}`,
    stepsTable(result),
  ];
  if (result.thresholds.length > 0) parts.push(thresholdsTable(result));
  if (comparison !== undefined) parts.push(comparisonSection(comparison));
  return parts.join('\n\n') + '\n';
}

function stepsTable(result: ResultDocument): string {
  const rows = [
    '| step | requests | req/s | p50 ms | p99 ms | max ms | errors | stalled |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  const row = (name: string, s: (typeof result.steps)[number] | undefined) => {
    const values = s ?? { ...result.totals, count: result.totals.requests };
    rows.push(
      `| ${cell(name)} | ${values.count} | ${values.rps.toFixed(1)} | ${values.latency.p50} | ` +
        `${values.latency.p99} | ${values.latency.max} | ${values.errors} | ${values.stalled} |`,
    );
  };
  for (const step of result.steps) row(step.name, step);
  if (result.steps.length > 1) row('**total**', undefined);
  return rows.join('\n');
}

function thresholdsTable(result: ResultDocument): string {
  const rows = ['| threshold | measured | verdict |', '| --- | ---: | --- |'];
  for (const v of result.thresholds) {
    const measured = v.note ?? formatMeasured(v.actual, v.unit);
    rows.push(
      `| \`${cell(v.expression)}\` | ${cell(measured)} | ${v.passed ? 'pass' : '**FAIL**'} |`,
    );
  }
  return `### Thresholds\n\n${rows.join('\n')}`;
}

function comparisonSection(comparison: Comparison): string {
  const parts = [`### Compared with ${cell(comparison.base.label)} (${comparison.base.startedAt})`];
  if (comparison.differences.length > 0) {
    parts.push(`Compared with --force although: ${cell(comparison.differences.join('; '))}`);
  }
  for (const [scope, metrics] of groupByScope(comparison.metrics)) {
    const rows = [
      `| ${cell(scope)} | base | new | delta | delta % | verdict |`,
      '| --- | ---: | ---: | ---: | ---: | --- |',
    ];
    for (const m of metrics) {
      const percent = m.deltaPercent === null ? 'n/a' : `${signed(m.deltaPercent)}%`;
      const verdict = m.verdict === 'regressed' ? `**${verdictText(m)}**` : verdictText(m);
      rows.push(
        `| ${m.metric} | ${valueText(m.base, m.unit)} | ${valueText(m.next, m.unit)} | ` +
          `${deltaText(m)} | ${percent} | ${verdict} |`,
      );
    }
    parts.push(rows.join('\n'));
  }
  parts.push(comparison.metrics.map((m) => `- ${m.scope}: ${cell(m.reason)}`).join('\n'));
  return parts.join('\n\n');
}

/** Keeps a value inside its table cell: pipes and line breaks would end it. */
function cell(value: string): string {
  return value.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
