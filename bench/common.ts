// Helpers shared by the benchmark scripts: the machine banner, CPU and wall-time
// measurement, option parsing and small statistics.

import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';

export interface Measured<T> {
  value: T;
  /** User + system CPU of this whole process (all its threads), in µs. */
  cpuMicros: number;
  wallMs: number;
}

/** Runs `work` and measures the CPU this process spent and the wall time it took. */
export async function measure<T>(work: () => Promise<T>): Promise<Measured<T>> {
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const value = await work();
  const wallMs = performance.now() - wallStart;
  const cpu = process.cpuUsage(cpuStart);
  return { value, cpuMicros: cpu.user + cpu.system, wallMs };
}

export function printMachine(title: string): void {
  const cores = cpus();
  const load = loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  console.log(title);
  console.log(`machine: ${cores[0]?.model ?? 'unknown CPU'}, ${cores.length} cores`);
  console.log(`node ${process.version}, ${process.platform}/${process.arch}, load avg ${load}`);
  console.log(
    'warning: shared, noisy machine; compare the ratios of peers run side by side, ' +
      'not absolute figures, and rerun before trusting a difference under ~20%.',
  );
  console.log('');
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * A positive number from a flag, else an environment variable, else the default. Flags
 * come from util.parseArgs as strings; `5s` and `5` both mean five seconds for durations.
 */
export function numberOption(flag: string | undefined, envName: string, fallback: number): number {
  const text = flag ?? process.env[envName];
  if (text === undefined || text === '') return fallback;
  const value = Number(text.replace(/s$/, ''));
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${envName}: expected a positive number, found "${text}"`);
  }
  return value;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function megabytes(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}
