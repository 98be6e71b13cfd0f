// Runs a scenario written inline in a test, in this process, and returns the run and its
// result document: the same path the CLI takes, minus the files and the terminal.

import { Run } from '../../src/engine/run.js';
import { judge } from '../../src/report/gates.js';
import { buildResult, viewOfRun, type ResultDocument } from '../../src/report/result.js';
import { parseScenario } from '../../src/scenario/load.js';

export async function runInline(
  yamlText: string,
  target: string,
  seed = 1,
): Promise<{ run: Run; result: ResultDocument }> {
  const scenario = parseScenario(yamlText, 'inline.yaml', 'yaml');
  const run = new Run(scenario, { target, seed });
  await run.execute();
  const result = buildResult(run, judge(scenario.thresholds, viewOfRun(run)), { cpuSeconds: 0 });
  return { run, result };
}

/** The value at a percentile of a list, by the nearest-rank rule HDR histograms use. */
export function percentileOf(values: readonly number[], percentile: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length));
  return sorted[rank - 1];
}

export function within(actual: number, expected: number, relative: number, absolute: number) {
  return Math.abs(actual - expected) <= expected * relative + absolute;
}
