// The summary printed on stdout at the end of a run: tables built from the result
// document only, so that a saved result prints exactly as the live run did.

import Table from 'cli-table3';
import type { LatencySummary } from '../metrics/histogram.js';
import { ERROR_CLASSES } from '../metrics/step-metrics.js';
import { formatMeasured } from './gates.js';
import type { ResultDocument, StepResult } from './result.js';
import type { SetupReport } from '../protocols/mattermost/setup.js';

// No colours: the summary is often piped into files and CI logs.
/** No colours (they would land in files and CI logs) and no lines between rows. */
export const plain = { head: [] as string[], border: [] as string[], compact: true };

export function formatSummary(result: ResultDocument): string {
  const parts = [
    header(result),
    stepsTable(result),
    errorsTable(result),
    deliverySection(result),
    stallsSection(result),
    freezesSection(result),
    thresholdsSection(result),
  ];
  return parts.filter((part) => part.length > 0).join('\n\n') + '\n';
}

function header(result: ResultDocument): string {
  const run = result.run;
  const seconds = (run.durationMs / 1000).toFixed(1);
  const lines = [
    `chatload ${result.tool.version} · ${result.scenario.name} → ${result.config.target}`,
    `${seconds}s, ${run.stopReason}` +
      (run.abortMessage ? ` (${run.abortMessage})` : '') +
      `, seed ${result.config.seed}, ${run.iterationsCompleted} iterations completed` +
      (result.totals.dropped > 0 ? `, ${result.totals.dropped} dropped` : ''),
  ];
  if (result.generator.internalErrors.length > 0) {
    lines.push(`internal errors in chatload: ${result.generator.internalErrors.length}`);
  }
  return lines.join('\n');
}

function latencyCells(latency: LatencySummary): string[] {
  return [latency.min, latency.p50, latency.p90, latency.p99, latency.p999, latency.max].map(ms);
}

function stepsTable(result: ResultDocument): string {
  const table = new Table({
    head: [
      'step',
      'count',
      'req/s',
      'min',
      'p50',
      'p90',
      'p99',
      'p99.9',
      'max',
      'errors',
      'stalled',
    ],
    style: plain,
    colAligns: ['left', ...Array(10).fill('right')],
  });
  const row = (name: string, step: Omit<StepResult, 'name' | 'service'>) => [
    name,
    step.count,
    step.rps.toFixed(1),
    ...latencyCells(step.latency),
    step.errors,
    step.stalled,
  ];
  for (const step of result.steps) table.push(row(step.name, step));
  if (result.steps.length > 1)
    table.push(row('total', { ...result.totals, count: result.totals.requests }));
  const from =
    result.config.latencyFrom === 'sent'
      ? 'from the moment each request was sent (service time)'
      : 'from the intended start';
  return `latency in ms, ${from}\n${table.toString()}`;
}

function errorsTable(result: ResultDocument): string {
  if (result.totals.errors === 0) return '';
  const used = ERROR_CLASSES.filter((c) => result.totals.errorsByClass[c] > 0);
  const table = new Table({ head: ['errors', ...used], style: plain });
  for (const step of result.steps) {
    if (step.errors > 0) table.push([step.name, ...used.map((c) => step.errorsByClass[c])]);
  }
  return table.toString();
}

function deliverySection(result: ResultDocument): string {
  const delivery = result.delivery;
  if (delivery === undefined) return '';
  const lines: string[] = [];
  if (result.setup) {
    const { created, reused, durationMs } = result.setup;
    lines.push(
      `setup (not measured): ${(durationMs / 1000).toFixed(1)}s, ` +
        `created ${describeSetupCounts(created)}; reused ${describeSetupCounts(reused)}`,
    );
  }
  const table = new Table({
    head: ['delivery', 'posts', 'expected', 'received', 'lost', 'late', 'dup', 'seq gaps'],
    style: plain,
  });
  table.push([
    'messages',
    delivery.posts,
    delivery.expected,
    delivery.received,
    delivery.lost,
    delivery.late,
    delivery.duplicates,
    delivery.seqGaps,
  ]);
  lines.push(table.toString());
  const latency = delivery.latency;
  lines.push(
    `delivery latency (post sent → event received), ms: p50 ${ms(latency.p50)}, ` +
      `p90 ${ms(latency.p90)}, p99 ${ms(latency.p99)}, max ${ms(latency.max)}`,
  );
  lines.push(
    `websockets: ${delivery.disconnects} disconnects, ${delivery.reconnects} reconnects, ` +
      `deaf for ${(delivery.deafMs / 1000).toFixed(1)}s in all`,
  );
  return lines.join('\n');
}

function stallsSection(result: ResultDocument): string {
  const totals = result.totals;
  const stallMs = result.config.timeouts.stallMs;
  if (totals.stalled === 0)
    return `no stalled requests (stall limit ${result.config.timeouts.stallMs}ms)`;

  const lines = [
    `STALLED: ${totals.stalled} requests in flight longer than ${stallMs}ms` +
      ` (${totals.stalls.recovered} recovered, ${totals.stalls.timedOut} timed out,` +
      ` ${totals.stalls.neverCompleted} never completed)`,
  ];
  const table = new Table({ head: ['step', 'user', 'sent at', 'age', 'outcome'], style: plain });
  const shown = result.stalls.list.slice(0, 20);
  for (const stall of shown) {
    table.push([
      stall.step,
      stall.userIndex,
      seconds(stall.startMs),
      ms(stall.ageMs),
      stall.outcome,
    ]);
  }
  lines.push(table.toString());
  const more = result.stalls.list.length - shown.length + result.stalls.notListed;
  if (more > 0) lines.push(`… and ${more} more (all in the result document's stalls.list)`);
  return lines.join('\n');
}

function freezesSection(result: ResultDocument): string {
  if (result.freezes.length === 0) return '';
  const table = new Table({ head: ['freeze at', 'length', 'requests held'], style: plain });
  for (const freeze of result.freezes) {
    table.push([seconds(freeze.startMs), ms(freeze.lengthMs), freeze.requestsHeld]);
  }
  const title = `FROZEN: ${result.freezes.length} periods with requests in flight, none completing`;
  return `${title}\n${table}`;
}

function thresholdsSection(result: ResultDocument): string {
  if (result.thresholds.length === 0) return '';
  const table = new Table({ head: ['threshold', 'measured', 'verdict'], style: plain });
  for (const verdict of result.thresholds) {
    const measured = verdict.note ?? formatMeasured(verdict.actual, verdict.unit);
    table.push([verdict.expression, measured, verdict.passed ? 'pass' : 'FAIL']);
  }
  return table.toString();
}

function ms(value: number): string {
  if (value >= 10_000) return `${(value / 1000).toFixed(1)}s`;
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

function seconds(valueMs: number): string {
  return `${(valueMs / 1000).toFixed(2)}s`;
}

/** "10 users, 5 channels, 1 team", for one side of a setup report. */
export function describeSetupCounts(counts: SetupReport['created']): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return [
    plural(counts.users, 'user'),
    plural(counts.channels, 'channel'),
    plural(counts.teams, 'team'),
  ].join(', ');
}
