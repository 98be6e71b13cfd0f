// `chatload capacity`: the highest number of concurrent users that meets the SLO.
//
// The search: hold the start level (steady-state rule of hold.ts) and judge the SLO on it;
// while it passes, double the users (up to --max). At the first failure, bisect between the
// highest passing and the lowest failing level, until the bracket is tight: within 5% of
// the passing level or 1 user. The answer is the highest passing level.
//
// Limitation: each level is judged once, so a level right at the edge can pass on one run
// and fail on the next; the bracket is as sharp as the server's own noise allows.

import { performance } from 'node:perf_hooks';
import { UsageError } from '../cli/exit-codes.js';
import { parseThreshold, ThresholdSyntaxError } from '../scenario/threshold.js';
import type { Scenario, Threshold } from '../scenario/types.js';
import { TOOL_VERSION } from '../version.js';
import { whatBroke, type Breakage } from './breakage.js';
import { holdLevel, type HoldRule } from './hold.js';
import type { SetupResult } from '../protocols/mattermost/setup.js';
import { rowOf, type LevelRow } from './level-row.js';

export const CAPACITY_SCHEMA = 'chatload/capacity/v1';

export interface CapacityOptions {
  slo: readonly Threshold[];
  start: number;
  max: number;
  target: string;
  seed: number;
  rule: HoldRule;
  /** The bracket is tight when fail − pass <= max(1, relative × pass). */
  tightRelative?: number;
  onLevel?: (row: CapacityLevel) => void;
  chatSetup?: SetupResult;
}

export interface CapacityLevel extends LevelRow {
  passed: boolean;
  /** The SLO terms that failed, with what was measured. */
  failures: string[];
}

export interface CapacityDocument {
  schema: typeof CAPACITY_SCHEMA;
  tool: { name: 'chatload'; version: string };
  scenario: { name: string; file: string };
  config: {
    target: string;
    seed: number;
    slo: string[];
    start: number;
    max: number;
    hold: HoldRule;
  };
  startedAt: string;
  durationMs: number;
  /** Highest level that met the SLO; 0 when even the lowest level tried failed. */
  answer: number;
  /** The highest passing and the lowest failing level (null when none failed: --max passed). */
  bracket: { pass: number; fail: number | null };
  /** What broke at the lowest failing level: step and signal per failed SLO term. */
  brokeFirst: Breakage[];
  levels: CapacityLevel[];
  /** Chart-ready: levels in the order tried, with when each began. */
  timeline: { t: number; users: number; throughput: number; p99: number; passed: boolean }[];
}

export function parseSlo(text: string): Threshold[] {
  const terms = text.split(',').map((term) => term.trim());
  return terms.map((term, index) => {
    if (term === '') throw new UsageError(`--slo: term ${index + 1} is empty in "${text}"`);
    try {
      return parseThreshold(term);
    } catch (error) {
      if (!(error instanceof ThresholdSyntaxError)) throw error;
      const caret = `${' '.repeat(error.column)}^`;
      throw new UsageError(`--slo term ${index + 1}: ${error.message}\n  ${term}\n  ${caret}`);
    }
  });
}

export async function findCapacity(
  scenario: Scenario,
  options: CapacityOptions,
): Promise<CapacityDocument> {
  const startedAt = new Date();
  const started = performance.now();
  const levels: CapacityLevel[] = [];
  const breakages = new Map<number, Breakage[]>();

  const tryLevel = async (users: number): Promise<boolean> => {
    const at = (performance.now() - started) / 1000;
    const outcome = await holdLevel(scenario, users, { ...options, thresholds: options.slo });
    const failed = outcome.verdicts.filter((v) => !v.passed);
    const level: CapacityLevel = {
      ...rowOf(outcome, at),
      passed: failed.length === 0,
      failures: failed.map((v) => `${v.expression} (measured ${v.note ?? round(v.actual)})`),
    };
    levels.push(level);
    if (!level.passed) breakages.set(users, whatBroke(outcome, options.slo));
    options.onLevel?.(level);
    return level.passed;
  };

  const bracket = await search(tryLevel, options);
  return {
    schema: CAPACITY_SCHEMA,
    tool: { name: 'chatload', version: TOOL_VERSION },
    scenario: { name: scenario.name, file: scenario.file },
    config: {
      target: options.target,
      seed: options.seed,
      slo: options.slo.map((t) => t.source),
      start: options.start,
      max: options.max,
      hold: options.rule,
    },
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    answer: bracket.pass,
    bracket,
    brokeFirst: bracket.fail === null ? [] : (breakages.get(bracket.fail) ?? []),
    levels,
    timeline: levels.map((l) => ({
      t: l.startedAtSec,
      users: l.users,
      throughput: l.throughput,
      p99: l.p99,
      passed: l.passed,
    })),
  };
}

/** Raise, then bisect; returns the tight bracket. */
async function search(
  tryLevel: (users: number) => Promise<boolean>,
  options: CapacityOptions,
): Promise<{ pass: number; fail: number | null }> {
  let pass = 0;
  let fail: number | null = null;

  for (let users = options.start; ; users = Math.min(options.max, users * 2)) {
    if (await tryLevel(users)) pass = users;
    else {
      fail = users;
      break;
    }
    if (users >= options.max) return { pass, fail: null };
  }

  const relative = options.tightRelative ?? 0.05;
  while (fail - pass > Math.max(1, relative * pass)) {
    const middle = Math.floor((pass + fail) / 2);
    if (middle <= 0) break;
    if (await tryLevel(middle)) pass = middle;
    else fail = middle;
  }
  return { pass, fail };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
