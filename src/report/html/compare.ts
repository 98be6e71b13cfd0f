// Two runs side by side: per step, how p50, p99, throughput and errors moved from the base
// run (A) to the new one (B). The step lists are matched by name; a step that only one of
// the runs has is shown with a dash on the other side.

import type { ResultDocument, StepResult } from '../result.js';
import { html, ms, section, table, type Cell } from './markup.js';

type Measure = 'p50' | 'p99' | 'rps' | 'errors';

// Which way is better: lower latency and fewer errors, more requests per second.
const HIGHER_IS_BETTER: Record<Measure, boolean> = {
  p50: false,
  p99: false,
  rps: true,
  errors: false,
};

export interface Delta {
  step: string;
  measure: Measure;
  base: number | null;
  next: number | null;
  /** next - base; null when either side is missing. */
  change: number | null;
  /** The change in percent of base; null when base is 0 or missing. */
  percent: number | null;
}

interface Comparable {
  name: string;
  p50: number;
  p99: number;
  rps: number;
  errors: number;
}

function comparable(name: string, step: Omit<StepResult, 'name' | 'service'>): Comparable {
  return { name, p50: step.latency.p50, p99: step.latency.p99, rps: step.rps, errors: step.errors };
}

function stepsOf(result: ResultDocument): Comparable[] {
  const steps = result.steps.map((step) => comparable(step.name, step));
  steps.push(comparable('total', { ...result.totals, count: result.totals.requests }));
  return steps;
}

/** Every step of either run, in the base run's order, then B's new steps, then the total. */
export function computeDeltas(base: ResultDocument, next: ResultDocument): Delta[] {
  const baseSteps = stepsOf(base);
  const nextSteps = stepsOf(next);
  const names = [...baseSteps.map((s) => s.name)];
  for (const step of nextSteps) if (!names.includes(step.name)) names.splice(-1, 0, step.name);

  const deltas: Delta[] = [];
  for (const name of names) {
    const a = baseSteps.find((step) => step.name === name);
    const b = nextSteps.find((step) => step.name === name);
    for (const measure of ['p50', 'p99', 'rps', 'errors'] as Measure[]) {
      const baseValue = a?.[measure] ?? null;
      const nextValue = b?.[measure] ?? null;
      const change = baseValue !== null && nextValue !== null ? nextValue - baseValue : null;
      const percent = change !== null && baseValue ? (change / baseValue) * 100 : null;
      deltas.push({ step: name, measure, base: baseValue, next: nextValue, change, percent });
    }
  }
  return deltas;
}

export function deltasSection(base: ResultDocument, next: ResultDocument): string {
  const rows = computeDeltas(base, next).map((delta): Cell[] => [
    delta.step,
    delta.measure,
    formatMeasure(delta.measure, delta.base),
    formatMeasure(delta.measure, delta.next),
    signed(delta.measure, delta.change),
    verdictCell(delta),
  ]);
  const body =
    '<p class="muted">B compared with A, per step. Latency from the intended start; ' +
    'a change is marked better or worse by its direction only, not by its significance.</p>' +
    table(['step', 'measure', 'A (base)', 'B (new)', 'delta', 'delta %'], rows, {
      caption: 'Per-step deltas, B against A',
      numeric: [2, 3, 4, 5],
      className: 'deltas',
    });
  return section('deltas', 'Deltas, B against A', body);
}

function formatMeasure(measure: Measure, value: number | null): string {
  if (value === null) return '–';
  if (measure === 'rps') return `${value.toFixed(1)}/s`;
  if (measure === 'errors') return String(value);
  return ms(value);
}

function signed(measure: Measure, value: number | null): string {
  if (value === null) return '–';
  const sign = value > 0 ? '+' : value < 0 ? '−' : '±';
  return sign + formatMeasure(measure, Math.abs(value));
}

function verdictCell(delta: Delta): Cell {
  if (delta.percent === null) return delta.change === 0 ? '0%' : '–';
  const better = HIGHER_IS_BETTER[delta.measure] ? delta.percent > 0 : delta.percent < 0;
  const word = delta.percent === 0 ? 'same' : better ? 'better' : 'worse';
  const sign = delta.percent > 0 ? '+' : delta.percent < 0 ? '−' : '';
  const value = `${sign}${Math.abs(delta.percent).toFixed(1)}%`;
  return html(`<span class="${word}">${value} <span class="muted">${word}</span></span>`);
}
