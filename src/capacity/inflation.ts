// Latency inflation: how much slower each step is under load than alone. `chatload run …
// --probe-baseline PROBE.json` divides the run's p50 of each step by the probe's p50.

import { readFileSync } from 'node:fs';
import Table from 'cli-table3';
import { UsageError } from '../cli/exit-codes.js';
import type { ResultDocument } from '../report/result.js';
import { PROBE_SCHEMA, type ProbeDocument } from './probe.js';
import { plain } from '../report/tables.js';

export interface StepInflation {
  step: string;
  unloadedP50: number;
  loadedP50: number;
  /** loaded p50 / unloaded p50; null when the step was not probed or had no latency. */
  inflation: number | null;
}

export type ResultWithInflation = ResultDocument & {
  inflation: { probe: string; steps: StepInflation[] };
};

export function readProbeDocument(path: string): ProbeDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new UsageError(
      `--probe-baseline ${path}: expected a readable JSON file, found ${reason}`,
    );
  }
  const schema = (parsed as { schema?: unknown } | null)?.schema;
  if (schema !== PROBE_SCHEMA) {
    throw new UsageError(
      `--probe-baseline ${path}: expected a probe document (schema "${PROBE_SCHEMA}"), ` +
        `found schema ${JSON.stringify(schema ?? null)}`,
    );
  }
  return parsed as ProbeDocument;
}

export function inflationOf(result: ResultDocument, probe: ProbeDocument): StepInflation[] {
  const unloaded = new Map(probe.probe.steps.map((s) => [s.name, s.p50]));
  return result.steps.map((step) => {
    const unloadedP50 = unloaded.get(step.name) ?? 0;
    const loadedP50 = step.latency.p50;
    const inflation =
      unloadedP50 > 0 && step.completed > 0
        ? Math.round((loadedP50 / unloadedP50) * 100) / 100
        : null;
    return { step: step.name, unloadedP50, loadedP50, inflation };
  });
}

/**
 * For run-command: reads the probe, adds `inflation` to the result (before it is written)
 * and returns the table to print.
 */
export function applyProbeBaseline(
  result: ResultDocument,
  probePath: string,
): { result: ResultWithInflation; text: string } {
  const steps = inflationOf(result, readProbeDocument(probePath));
  return {
    result: { ...result, inflation: { probe: probePath, steps } },
    text: formatInflation(steps),
  };
}

export function formatInflation(steps: readonly StepInflation[]): string {
  const table = new Table({
    head: ['step', 'unloaded p50', 'loaded p50', 'inflation'],
    style: plain,
    colAligns: ['left', 'right', 'right', 'right'],
  });
  for (const s of steps) {
    table.push([
      s.step,
      s.unloadedP50 > 0 ? `${s.unloadedP50.toFixed(2)}ms` : 'not probed',
      `${s.loadedP50.toFixed(2)}ms`,
      s.inflation === null ? 'n/a' : `${s.inflation.toFixed(2)}x`,
    ]);
  }
  return `latency inflation (loaded p50 / unloaded p50)\n${table.toString()}\n`;
}
