// The report's tables, written on the server side as plain HTML so that they read without
// scripts, print well and are announced properly by screen readers. They show the same
// numbers as the summary on stdout (report/tables.ts), taken from the result document.

import { stringify } from 'yaml';
import { ERROR_CLASSES } from '../../metrics/step-metrics.js';
import { formatMeasured } from '../gates.js';
import type { ResultDocument, StepResult } from '../result.js';
import { attr, count, html, ms, seconds, section, table, text, type Cell } from './markup.js';

// The full stall list can hold 10,000 rows; the page shows the first ones and says so.
const STALLS_SHOWN = 200;

/** The headline numbers of one run, as a row of cards. */
export function keyFigures(result: ResultDocument): string {
  const totals = result.totals;
  const figures: [string, string, boolean][] = [
    ['requests', count(totals.requests), false],
    ['req/s', totals.rps.toFixed(1), false],
    ['p50', ms(totals.latency.p50), false],
    ['p99', ms(totals.latency.p99), false],
    ['max', ms(totals.latency.max), false],
    ['errors', `${count(totals.errors)} · ${totals.errorRate.toFixed(1)}%`, totals.errors > 0],
    ['stalled', count(totals.stalled), totals.stalled > 0],
    ['freezes', count(result.freezes.length), result.freezes.length > 0],
  ];
  if (totals.dropped > 0) figures.push(['dropped', count(totals.dropped), true]);
  const cards = figures.map(
    ([label, value, bad]) =>
      `<div class="card${bad ? ' bad' : ''}"><dt>${text(label)}</dt><dd>${text(value)}</dd></div>`,
  );
  return `<dl class="cards">${cards.join('')}</dl>`;
}

export function thresholdsSection(result: ResultDocument, id: string): string {
  if (result.thresholds.length === 0) {
    return section(id, 'Thresholds', '<p class="muted">The run had no thresholds.</p>');
  }
  const rows = result.thresholds.map((verdict): Cell[] => [
    verdict.expression,
    verdict.note ?? formatMeasured(verdict.actual ?? Number.NaN, verdict.unit),
    verdict.passed
      ? html('<span class="pass">pass</span>')
      : html('<span class="fail">FAIL</span>'),
  ]);
  const body = table(['threshold', 'measured', 'verdict'], rows, {
    caption: 'Each threshold judged on the whole run',
  });
  return section(id, 'Thresholds', body);
}

export function stepsSection(result: ResultDocument, id: string): string {
  const row = (name: string, step: Omit<StepResult, 'name' | 'service'>): Cell[] => [
    name,
    count(step.count),
    step.rps.toFixed(1),
    ...[step.latency.min, step.latency.p50, step.latency.p90, step.latency.p99].map(ms),
    ms(step.latency.p999),
    ms(step.latency.max),
    count(step.errors),
    count(step.stalled),
  ];
  const rows = result.steps.map((step) => row(step.name, step));
  if (result.steps.length > 1) {
    rows.push(row('total', { ...result.totals, count: result.totals.requests }));
  }
  const head = ['step', 'count', 'req/s', 'min', 'p50', 'p90', 'p99', 'p99.9', 'max'];
  const body = table([...head, 'errors', 'stalled'], rows, {
    caption: 'Latency from the intended start, per step',
    numeric: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  });
  return section(id, 'Steps', body);
}

export function errorsSection(result: ResultDocument, id: string): string {
  const totals = result.totals;
  if (totals.errors === 0) return section(id, 'Errors', '<p>No request failed.</p>');

  const used = ERROR_CLASSES.filter((name) => totals.errorsByClass[name] > 0);
  const largest = Math.max(...used.map((name) => totals.errorsByClass[name]));
  const bars = used.map((name) => {
    const value = totals.errorsByClass[name];
    const percent = ((value / largest) * 100).toFixed(1);
    return (
      `<div class="bar-row" role="listitem"><span class="bar-label">${text(name)}</span>` +
      `<span class="bar" style="width:${percent}%" aria-hidden="true"></span>` +
      `<span class="bar-value">${count(value)}</span></div>`
    );
  });
  const rows = result.steps
    .filter((step) => step.errors > 0)
    .map((step): Cell[] => [step.name, ...used.map((name) => count(step.errorsByClass[name]))]);
  const perStep = table(['step', ...used], rows, {
    caption: 'Errors per step and class',
    numeric: used.map((_, i) => i + 1),
  });
  const share = `${totals.errorRate.toFixed(1)}% of completed`;
  const summary = `<p>${count(totals.errors)} failed requests, ${share}.</p>`;
  const chart = `<div class="bars" role="list" aria-label="errors by class">${bars.join('')}</div>`;
  return section(id, 'Errors by class', summary + chart + perStep);
}

export function stallsSection(result: ResultDocument, id: string): string {
  const totals = result.totals;
  const limit = result.config.timeouts.stallMs;
  if (totals.stalled === 0) {
    return section(id, 'Stalled requests', `<p>No request stalled (stall limit ${limit} ms).</p>`);
  }
  const summary =
    `<p><strong>${count(totals.stalled)} requests</strong> were in flight longer than ` +
    `${limit} ms: ${count(totals.stalls.recovered)} recovered, ` +
    `${count(totals.stalls.timedOut)} timed out, ` +
    `${count(totals.stalls.neverCompleted)} never completed.</p>`;
  const shown = result.stalls.list.slice(0, STALLS_SHOWN);
  const rows = shown.map((stall): Cell[] => [
    stall.step,
    stall.userIndex,
    seconds(stall.startMs),
    ms(stall.ageMs),
    stall.outcome,
  ]);
  const list = table(['step', 'user', 'sent at', 'age', 'outcome'], rows, {
    caption: 'Stalled requests, in the order they stalled',
    numeric: [1, 2, 3],
  });
  const more = result.stalls.list.length - shown.length + result.stalls.notListed;
  const note =
    more > 0 ? `<p class="muted">… and ${count(more)} more in the result document.</p>` : '';
  return section(id, 'Stalled requests', summary + list + note);
}

export function freezesSection(result: ResultDocument, id: string): string {
  if (result.freezes.length === 0) {
    return section(id, 'Freezes', '<p>No freeze: something completed in every stall period.</p>');
  }
  const rows = result.freezes.map((freeze): Cell[] => [
    seconds(freeze.startMs),
    ms(freeze.lengthMs),
    count(freeze.requestsHeld),
  ]);
  const body = table(['freeze at', 'length', 'requests held'], rows, {
    caption: 'Periods with requests in flight and none completing',
    numeric: [1, 2],
  });
  return section(id, 'Freezes', body);
}

/** Chat scenarios only: the delivery summary, whatever numbers it holds. */
export function deliverySection(result: ResultDocument, id: string): string {
  const delivery = (result as { delivery?: unknown }).delivery;
  if (delivery === null || typeof delivery !== 'object') return '';
  // The encoded histogram is for machines (merging runs); the percentiles are beside it.
  const rows = flatten(delivery as Record<string, unknown>)
    .filter(([key]) => key !== 'histogram')
    .map(([key, value]): Cell[] => [key, value]);
  const body = table(['measure', 'value'], rows, {
    caption: 'Delivery of chat messages to the other members (latency and windows in ms)',
    numeric: [1],
  });
  return section(id, 'Message delivery', body);
}

function flatten(value: Record<string, unknown>, prefix = ''): [string, string][] {
  const entries: [string, string][] = [];
  for (const [key, inner] of Object.entries(value)) {
    const name = prefix === '' ? key : `${prefix}.${key}`;
    if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
      entries.push(...flatten(inner as Record<string, unknown>, name));
    } else {
      entries.push([name, typeof inner === 'number' ? String(inner) : JSON.stringify(inner)]);
    }
  }
  return entries;
}

export function scenarioSection(result: ResultDocument, id: string): string {
  const source = stringify(result.scenario.definition ?? null, { lineWidth: 96 });
  const body =
    `<p>File <code>${text(result.scenario.file)}</code>, as written:</p>` +
    `<pre class="code" tabindex="0" aria-label="scenario ${attr(result.scenario.name)}">` +
    `${text(source)}</pre>`;
  return section(id, 'Scenario', body);
}

export function configSection(result: ResultDocument, id: string): string {
  const { config, environment, run, generator, tool } = result;
  const rows: Cell[][] = [
    ['target', config.target],
    ['seed', config.seed],
    ['load', JSON.stringify(config.load)],
    [
      'timeouts',
      `request ${config.timeouts.requestMs} ms, stall ${config.timeouts.stallMs} ms, ` +
        `grace ${config.timeouts.graceMs} ms`,
    ],
    ['connections', String(config.connections)],
    ['started', run.startedAt],
    ['ended', `${run.endedAt} (${seconds(run.durationMs)}, ${run.stopReason})`],
    [
      'iterations',
      `${count(run.iterationsStarted)} started, ${count(run.iterationsCompleted)} completed`,
    ],
    ['chatload', tool.version],
    ['node', `${environment.node} on ${environment.platform}/${environment.arch}`],
    [
      'machine',
      `${environment.cpus} × ${environment.cpuModel}, ${count(environment.totalMemoryMb)} MB`,
    ],
    [
      'generator',
      `${generator.cpuSeconds} s of CPU, ` +
        `event-loop delay up to ${ms(generator.maxEventLoopDelayMs)}`,
    ],
  ];
  if (run.abortMessage) rows.push(['aborted', run.abortMessage]);
  for (const message of generator.internalErrors) rows.push(['internal error', message]);
  const body = table(['setting', 'value'], rows, {
    caption: 'Configuration, environment and the generator’s health',
    className: 'settings',
  });
  return section(id, 'Configuration and environment', body);
}
