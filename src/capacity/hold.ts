// Holds one concurrency level until its throughput is steady, for `sweep` and `capacity`.
//
// The steady-state rule: every `sampleMs` the completions since the last sample give one
// throughput sample. Once the level has run for at least `minHoldMs`, it is steady when
// the last `window` samples have a coefficient of variation (standard deviation / mean)
// under `maxCv`; the level then ends. It ends at `maxHoldMs` in any case, marked unsteady.
// The level's throughput is the mean of that last window, so the ramp-up (connections
// opening, queues filling) does not drag it down.

import { performance } from 'node:perf_hooks';
import { Run } from '../engine/run.js';
import type { SetupResult } from '../protocols/mattermost/setup.js';
import { judge, type ThresholdVerdict } from '../report/gates.js';
import { buildResult, viewOfRun, type ResultDocument } from '../report/result.js';
import type { Scenario, Threshold } from '../scenario/types.js';

export interface HoldRule {
  minHoldMs: number;
  maxHoldMs: number;
  sampleMs: number;
  window: number;
  maxCv: number;
}

export const DEFAULT_HOLD: HoldRule = {
  minHoldMs: 5_000,
  maxHoldMs: 30_000,
  sampleMs: 1_000,
  window: 5,
  maxCv: 0.1,
};

export interface LevelOutcome {
  users: number;
  /** Completed requests per second over the steady window. */
  throughput: number;
  steady: boolean;
  /** Coefficient of variation of the last window (NaN when too few samples). */
  cv: number;
  heldMs: number;
  result: ResultDocument;
  verdicts: ThresholdVerdict[];
}

export interface HoldOptions {
  target: string;
  seed: number;
  rule: HoldRule;
  /** Judged on the whole level (the SLO of `capacity`). */
  thresholds?: readonly Threshold[];
  /** Chat scenarios: the setup made once for the largest level. */
  chatSetup?: SetupResult;
}

/** The scenario with its load replaced by `users` closed-model users for at most the hold. */
export function atLevel(scenario: Scenario, users: number, rule: HoldRule): Scenario {
  return {
    ...scenario,
    load: { model: 'closed', startUsers: users, stages: [{ durationMs: rule.maxHoldMs, users }] },
  };
}

export async function holdLevel(
  scenario: Scenario,
  users: number,
  options: HoldOptions,
): Promise<LevelOutcome> {
  const rule = options.rule;
  const run = new Run(atLevel(scenario, users, rule), {
    target: options.target,
    seed: options.seed,
    chatSetup: options.chatSetup,
  });
  const samples: number[] = [];
  let lastCount = 0;
  let lastAt = performance.now();
  let steady = false;

  const sampler = setInterval(() => {
    const now = performance.now();
    const count = completedOf(run);
    samples.push(((count - lastCount) * 1000) / Math.max(now - lastAt, 1));
    lastCount = count;
    lastAt = now;
    if (run.elapsedMs >= rule.minHoldMs && isSteady(samples, rule)) {
      steady = true;
      run.stop('completed');
    }
  }, rule.sampleMs);

  try {
    await run.execute();
  } finally {
    clearInterval(sampler);
  }

  const window = samples.slice(-rule.window);
  const thresholds = options.thresholds ?? [];
  const verdicts = judge(thresholds, viewOfRun(run));
  const cpu = process.cpuUsage();
  return {
    users,
    throughput: round3(mean(window)),
    steady,
    cv: window.length >= 2 ? round3(coefficientOfVariation(window)) : NaN,
    heldMs: Math.round(run.elapsedMs),
    result: buildResult(run, verdicts, { cpuSeconds: (cpu.user + cpu.system) / 1e6 }),
    verdicts,
  };
}

function completedOf(run: Run): number {
  let total = 0;
  for (const step of run.steps.values()) total += step.completed;
  return total;
}

export function isSteady(samples: readonly number[], rule: HoldRule): boolean {
  if (samples.length < rule.window) return false;
  const window = samples.slice(-rule.window);
  if (mean(window) === 0) return false;
  return coefficientOfVariation(window) < rule.maxCv;
}

function coefficientOfVariation(values: readonly number[]): number {
  const centre = mean(values);
  if (centre === 0) return NaN;
  const variance = values.reduce((sum, v) => sum + (v - centre) ** 2, 0) / (values.length - 1);
  return Math.sqrt(variance) / centre;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
