// One level of a sweep or a capacity search, as a table row and as chart data.

import type { LevelOutcome } from './hold.js';

export interface LevelRow {
  users: number;
  throughput: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  errorRate: number;
  stalled: number;
  freezes: number;
  steady: boolean;
  cv: number | null;
  heldMs: number;
  /** Seconds since the sweep or search started, when the level began. */
  startedAtSec: number;
}

export function rowOf(outcome: LevelOutcome, startedAtSec: number): LevelRow {
  const totals = outcome.result.totals;
  return {
    users: outcome.users,
    throughput: outcome.throughput,
    p50: totals.latency.p50,
    p99: totals.latency.p99,
    requests: totals.requests,
    errors: totals.errors,
    errorRate: totals.errorRate,
    stalled: totals.stalled,
    freezes: outcome.result.freezes.length,
    steady: outcome.steady,
    cv: Number.isNaN(outcome.cv) ? null : outcome.cv,
    heldMs: outcome.heldMs,
    startedAtSec: Math.round(startedAtSec * 10) / 10,
  };
}

export const LEVEL_HEAD = ['users', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'stalled', 'held'];

export function levelCells(row: LevelRow): (string | number)[] {
  return [
    row.users,
    row.throughput.toFixed(1),
    row.p50.toFixed(1),
    row.p99.toFixed(1),
    row.errors,
    row.stalled,
    `${(row.heldMs / 1000).toFixed(1)}s${row.steady ? '' : ' (unsteady)'}`,
  ];
}
