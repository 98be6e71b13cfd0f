// `chatload sweep`: the scenario at each concurrency level in turn (closed model, its own
// flows; the level replaces its load), each level held until its throughput is steady
// (see hold.ts), then the Universal Scalability Law fitted to throughput against users.

import os from 'node:os';
import { performance } from 'node:perf_hooks';
import Table from 'cli-table3';
import type { Scenario } from '../scenario/types.js';
import { TOOL_VERSION } from '../version.js';
import { holdLevel, type HoldRule, type LevelOutcome } from './hold.js';
import type { SetupResult } from '../protocols/mattermost/setup.js';
import { LEVEL_HEAD, levelCells, rowOf, type LevelRow } from './level-row.js';
import { fitUsl, uslThroughput, type UslFit } from './usl.js';
import { plain } from '../report/tables.js';

export const SWEEP_SCHEMA = 'chatload/sweep/v1';

export interface SweepOptions {
  levels: readonly number[];
  target: string;
  seed: number;
  rule: HoldRule;
  /** Called as each level ends (progress on stderr). */
  onLevel?: (row: LevelRow, outcome: LevelOutcome) => void;
  /** Chat scenarios: the setup made once for the largest level. */
  chatSetup?: SetupResult;
}

export interface SweepDocument {
  schema: typeof SWEEP_SCHEMA;
  tool: { name: 'chatload'; version: string };
  scenario: { name: string; file: string };
  config: { target: string; seed: number; levels: number[]; hold: HoldRule };
  environment: { node: string; platform: string; cpus: number };
  startedAt: string;
  durationMs: number;
  levels: LevelRow[];
  /** Null when fewer than 3 levels had throughput. */
  fit: UslFit | null;
  fitNote: string | null;
  /** Chart-ready: one array per measure, aligned with `users`. */
  series: {
    users: number[];
    throughput: number[];
    fitted: number[] | null;
    p50: number[];
    p99: number[];
    errors: number[];
    stalled: number[];
  };
}

export async function runSweep(scenario: Scenario, options: SweepOptions): Promise<SweepDocument> {
  const startedAt = new Date();
  const started = performance.now();
  const rows: LevelRow[] = [];
  for (const users of options.levels) {
    const levelStart = (performance.now() - started) / 1000;
    const outcome = await holdLevel(scenario, users, options);
    const row = rowOf(outcome, levelStart);
    rows.push(row);
    options.onLevel?.(row, outcome);
  }

  const { fit, note } = fitLevels(rows);
  return {
    schema: SWEEP_SCHEMA,
    tool: { name: 'chatload', version: TOOL_VERSION },
    scenario: { name: scenario.name, file: scenario.file },
    config: {
      target: options.target,
      seed: options.seed,
      levels: [...options.levels],
      hold: options.rule,
    },
    environment: { node: process.version, platform: process.platform, cpus: os.cpus().length },
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - started),
    levels: rows,
    fit,
    fitNote: note,
    series: seriesOf(rows, fit),
  };
}

function fitLevels(rows: readonly LevelRow[]): { fit: UslFit | null; note: string | null } {
  const points = rows
    .filter((row) => row.throughput > 0)
    .map((row) => ({ users: row.users, throughput: row.throughput }));
  if (points.length < 3) {
    return {
      fit: null,
      note: `not fitted: needs 3 levels with throughput, found ${points.length}`,
    };
  }
  return { fit: fitUsl(points), note: null };
}

function seriesOf(rows: readonly LevelRow[], fit: UslFit | null): SweepDocument['series'] {
  return {
    users: rows.map((r) => r.users),
    throughput: rows.map((r) => r.throughput),
    fitted: fit && rows.map((r) => Math.round(uslThroughput(r.users, fit) * 1000) / 1000),
    p50: rows.map((r) => r.p50),
    p99: rows.map((r) => r.p99),
    errors: rows.map((r) => r.errors),
    stalled: rows.map((r) => r.stalled),
  };
}

export function formatSweep(sweep: SweepDocument): string {
  const table = new Table({
    head: [...LEVEL_HEAD, 'USL fit'],
    style: plain,
    colAligns: ['right', 'right', 'right', 'right', 'right', 'right', 'left', 'right'],
  });
  sweep.levels.forEach((row, i) => {
    const fitted = sweep.series.fitted?.[i];
    table.push([...levelCells(row), fitted === undefined ? '' : fitted.toFixed(1)]);
  });
  const lines = [
    `chatload sweep · ${sweep.scenario.name} → ${sweep.config.target}`,
    table.toString(),
    fitLines(sweep),
  ];
  return lines.join('\n\n') + '\n';
}

function fitLines(sweep: SweepDocument): string {
  const fit = sweep.fit;
  if (fit === null) return sweep.fitNote ?? 'not fitted';
  const peak =
    fit.peakUsers === null
      ? `no peak (κ = 0): throughput levels off towards ${ceiling(fit.peakThroughput)}`
      : `peak at N* = ${fit.peakUsers.toFixed(1)} users, ${fit.peakThroughput?.toFixed(1)}/s`;
  return [
    `Universal Scalability Law: X(N) = λN / (1 + σ(N−1) + κN(N−1)), R² ${fit.rSquared}`,
    `  σ (contention) ${fit.sigma.toFixed(4)}, κ (coherency) ${fit.kappa.toExponential(2)}, ` +
      `λ ${fit.lambda.toFixed(2)}/s per user`,
    `  ${peak}`,
    fit.retrograde
      ? '  RETROGRADE: throughput falls as users rise past the peak'
      : '  not retrograde: throughput does not fall within the levels measured',
  ].join('\n');
}

function ceiling(throughput: number | null): string {
  return throughput === null ? 'no limit' : `${throughput.toFixed(1)}/s`;
}
