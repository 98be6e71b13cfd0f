// What broke at a failing level: for each failed SLO term, which step broke it and through
// which signal (latency, errors, stalls, freezes, lost messages, throughput), so that the
// report can say "above 42 users, p99 of `send` broke first" instead of "the SLO failed".

import { judge } from '../report/gates.js';
import { viewOfResult } from '../report/result.js';
import type { Threshold } from '../scenario/types.js';
import type { LevelOutcome } from './hold.js';

export type Signal =
  | 'latency'
  | 'errors'
  | 'stalls'
  | 'freezes'
  | 'lost messages'
  | 'delivery latency'
  | 'throughput'
  | 'other';

export interface Breakage {
  term: string;
  signal: Signal;
  /** The steps that break the term on their own, worst first; empty when none does alone. */
  steps: string[];
  measured: string;
}

export function whatBroke(outcome: LevelOutcome, slo: readonly Threshold[]): Breakage[] {
  const view = viewOfResult(outcome.result);
  const breakages: Breakage[] = [];
  outcome.verdicts.forEach((verdict, index) => {
    if (verdict.passed) return;
    const term = slo[index];
    breakages.push({
      term: term.source,
      signal: signalOf(term),
      steps:
        term.step !== undefined
          ? [term.step]
          : term.of === 'delivery' || signalOf(term) === 'lost messages'
            ? []
            : stepsBreaking(term, view),
      measured: verdict.note ?? String(Math.round(verdict.actual * 100) / 100),
    });
  });

  // A freeze is reported even when no SLO term names it: it is the sharpest sign of a
  // server that stopped answering.
  if (outcome.result.freezes.length > 0) {
    const longest = Math.max(...outcome.result.freezes.map((f) => f.lengthMs));
    breakages.push({
      term: 'freezes',
      signal: 'freezes',
      steps: [],
      measured: `${outcome.result.freezes.length} (longest ${Math.round(longest)}ms)`,
    });
  }
  // Likewise messages that never reached their readers, in chat scenarios.
  const lost = outcome.result.delivery?.lost ?? 0;
  if (lost > 0 && !breakages.some((b) => b.signal === 'lost messages')) {
    breakages.push({ term: 'lost', signal: 'lost messages', steps: [], measured: String(lost) });
  }
  return breakages;
}

function signalOf(term: Threshold): Signal {
  if (term.of === 'delivery') return 'delivery latency';
  switch (term.metric.kind) {
    case 'lost':
    case 'duplicates':
    case 'seqGaps':
    case 'reconnects':
      return 'lost messages';
    case 'percentile':
    case 'min':
    case 'max':
    case 'mean':
      return 'latency';
    case 'errors':
      return 'errors';
    case 'stalled':
      return 'stalls';
    case 'rps':
      return 'throughput';
    default:
      return 'other';
  }
}

/** Judges a whole-run term step by step; the failing steps, by how far they miss. */
function stepsBreaking(term: Threshold, view: ReturnType<typeof viewOfResult>): string[] {
  const misses: { step: string; actual: number }[] = [];
  for (const step of view.steps.keys()) {
    const [verdict] = judge([{ ...term, step }], view);
    if (!verdict.passed && !verdict.note) misses.push({ step, actual: verdict.actual });
  }
  const worseIsHigher = term.op === '<' || term.op === '<=' || term.op === '==';
  misses.sort((a, b) => (worseIsHigher ? b.actual - a.actual : a.actual - b.actual));
  return misses.map((m) => m.step);
}
