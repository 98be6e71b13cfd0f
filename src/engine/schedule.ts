// Pure functions that say what the load will be at any moment, before anything runs.
//
//   users
//   50 |        ________
//      |       /        \
//    0 |______/          \____
//      0     10s       70s 80s     closed: stages ramp linearly from the previous target
//
// The open model is the same picture with a rate of new iterations per second; the k-th
// iteration is due at the time t where the area under the rate curve reaches k.

import type { LoadModel } from '../scenario/types.js';

interface Segment {
  startMs: number;
  durationMs: number;
  from: number;
  to: number;
}

function segmentsOf(start: number, stages: { durationMs: number; target: number }[]): Segment[] {
  const segments: Segment[] = [];
  let startMs = 0;
  let from = start;
  for (const stage of stages) {
    segments.push({ startMs, durationMs: stage.durationMs, from, to: stage.target });
    startMs += stage.durationMs;
    from = stage.target;
  }
  return segments;
}

function stageTargets(load: LoadModel): { durationMs: number; target: number }[] {
  if (load.model === 'closed') {
    return load.stages.map((s) => ({ durationMs: s.durationMs, target: s.users }));
  }
  return load.stages.map((s) => ({ durationMs: s.durationMs, target: s.ratePerSec }));
}

/** Planned length of the run in ms; undefined when only an iteration count ends it. */
export function plannedDurationMs(load: LoadModel): number | undefined {
  if (load.stages.length === 0) return undefined;
  return load.stages.reduce((sum, stage) => sum + stage.durationMs, 0);
}

/** The number of users the closed model wants at `elapsedMs` (rounded to whole users). */
export function closedTargetUsers(load: LoadModel & { model: 'closed' }, elapsedMs: number) {
  if (load.stages.length === 0) return load.startUsers;
  const value = valueAt(segmentsOf(load.startUsers, stageTargets(load)), elapsedMs);
  return Math.round(value);
}

/** The open model's rate (iterations per second) at `elapsedMs`. */
export function openRateAt(load: LoadModel & { model: 'open' }, elapsedMs: number): number {
  if (load.stages.length === 0) return load.startRatePerSec;
  return valueAt(segmentsOf(load.startRatePerSec, stageTargets(load)), elapsedMs);
}

function valueAt(segments: Segment[], elapsedMs: number): number {
  for (const segment of segments) {
    if (elapsedMs < segment.startMs + segment.durationMs) {
      const progress = Math.max(0, elapsedMs - segment.startMs) / segment.durationMs;
      return segment.from + (segment.to - segment.from) * progress;
    }
  }
  return segments.length > 0 ? segments[segments.length - 1].to : 0;
}

/**
 * Due times (ms from the start) of the open model's iterations, in order. Iteration k
 * (1-based) is due when the cumulative count, the integral of the rate, reaches k - 1,
 * so the first one is due at the very start. Within a linear segment the integral is
 * quadratic in time and is solved exactly, so ramps do not drift.
 */
export function* openDueTimes(load: LoadModel & { model: 'open' }): Generator<number> {
  // No stages (`rate` with `iterations` only): the rate holds until the cap ends the run.
  if (load.stages.length === 0) {
    if (load.startRatePerSec <= 0) return;
    for (let k = 0; ; k++) yield (k * 1000) / load.startRatePerSec;
  }
  const segments = segmentsOf(load.startRatePerSec, stageTargets(load));
  let emitted = 0;
  let cumulative = 0;

  for (const segment of segments) {
    const seconds = segment.durationMs / 1000;
    const slope = (segment.to - segment.from) / seconds;
    const segmentTotal = ((segment.from + segment.to) / 2) * seconds;

    while (emitted < cumulative + segmentTotal - 1e-9) {
      const needed = emitted - cumulative;
      const offsetSec = solveArea(segment.from, slope, needed);
      if (offsetSec >= seconds) break;
      yield segment.startMs + offsetSec * 1000;
      emitted++;
    }
    cumulative += segmentTotal;
  }
}

/** Smallest t ≥ 0 with from·t + slope·t²/2 = area. */
function solveArea(from: number, slope: number, area: number): number {
  if (area <= 0) return 0;
  if (Math.abs(slope) < 1e-12) return from > 0 ? area / from : Number.POSITIVE_INFINITY;
  const discriminant = from * from + 2 * slope * area;
  if (discriminant < 0) return Number.POSITIVE_INFINITY;
  return (-from + Math.sqrt(discriminant)) / slope;
}

/** The most users the load ever runs at once (the open model's cap for the open model). */
export function peakUsers(load: LoadModel): number {
  if (load.model === 'open') return load.maxUsers;
  return Math.max(load.startUsers, ...load.stages.map((stage) => stage.users));
}
