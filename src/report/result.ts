// The result document: everything a run measured, in a versioned JSON format that later
// commands (compare, merge, report) read back. Histograms are stored losslessly in the
// HdrHistogram compressed base64 form, so percentiles can be recomputed and runs merged.
// The format is documented in results/README.md; bump RESULT_SCHEMA on breaking changes.

import os from 'node:os';
import type { Run } from '../engine/run.js';
import {
  decodeHistogram,
  encodeHistogram,
  mergeHistograms,
  summarize,
  type LatencySummary,
} from '../metrics/histogram.js';
import type { Freeze, StallRecord } from '../metrics/inflight.js';
import { totalErrors, type ErrorCounts } from '../metrics/step-metrics.js';
import type { TimelinePoint } from '../metrics/timeline.js';
import type { MetricsView, StepView, ThresholdVerdict } from './gates.js';
import { TOOL_VERSION } from '../version.js';
import type { DeliveryCounts } from '../metrics/delivery.js';
import type { SetupReport } from '../protocols/mattermost/setup.js';

export const RESULT_SCHEMA = 'chatload/result/v1';

export interface StepResult {
  name: string;
  /** Requests sent. */
  count: number;
  /** Requests that ended with a response or an error (the rest never completed). */
  completed: number;
  errors: number;
  errorsByClass: ErrorCounts;
  stalled: number;
  stalls: { recovered: number; timedOut: number; neverCompleted: number };
  rps: number;
  /** From the intended start: what the server's users feel. */
  latency: LatencySummary;
  /** From the moment the request was actually sent. */
  service: LatencySummary;
}

export interface DeliveryResult extends DeliveryCounts {
  latency: LatencySummary;
  /** The delivery latency histogram, encoded as the step histograms are. */
  histogram: string;
  windowMs: number;
}

export interface ResultDocument {
  schema: typeof RESULT_SCHEMA;
  tool: { name: 'chatload'; version: string };
  scenario: { name: string; file: string; definition: unknown };
  config: {
    target: string;
    seed: number;
    load: unknown;
    timeouts: { requestMs: number; stallMs: number; graceMs: number };
    connections: number | 'per-user';
    thresholds: string[];
    /** 'intended': from when each request was due; 'sent': service time (blast). */
    latencyFrom: 'intended' | 'sent';
  };
  environment: {
    node: string;
    platform: string;
    arch: string;
    cpus: number;
    cpuModel: string;
    totalMemoryMb: number;
  };
  run: {
    startedAt: string;
    endedAt: string;
    durationMs: number;
    plannedMs: number | null;
    stopReason: string;
    abortMessage: string | null;
    iterationsStarted: number;
    iterationsCompleted: number;
  };
  totals: {
    requests: number;
    completed: number;
    errors: number;
    errorRate: number;
    errorsByClass: ErrorCounts;
    stalled: number;
    stalls: { recovered: number; timedOut: number; neverCompleted: number };
    dropped: number;
    rps: number;
    latency: LatencySummary;
    service: LatencySummary;
  };
  steps: StepResult[];
  histograms: {
    unit: 'microseconds';
    encoding: 'hdr-compressed-base64';
    steps: Record<string, { latency: string; service: string }>;
  };
  stalls: { list: StallRecord[]; notListed: number };
  freezes: Freeze[];
  thresholds: ThresholdVerdict[];
  timeline: TimelinePoint[];
  /** Chat scenarios only. */
  delivery?: DeliveryResult;
  setup?: SetupReport;
  generator: { cpuSeconds: number; maxEventLoopDelayMs: number; internalErrors: string[] };
  /** Set when the document covers one shard of a run (`run --shard I/N`), 1-based. */
  shard?: ShardInfo;
  /** Set when the run was driven by worker threads (`run --workers N`). */
  workers?: WorkersInfo;
  /**
   * Set on a document made by `chatload merge`: what was merged, in order, and the shards
   * of 1..N that were not among the parts (empty when none was missing or none was a shard).
   */
  merged?: { parts: MergedPart[]; missingShards: number[] };
}

export interface ShardInfo {
  index: number;
  count: number;
}

export interface WorkersInfo {
  count: number;
  /** Workers that died during the run: which share of the load, when, and why. */
  failures: WorkerFailure[];
}

export interface WorkerFailure {
  worker: number;
  /** Ms since the run started. */
  atMs: number;
  /** Users (closed model) or iterations per second (open model) it was carrying. */
  share: string;
  error: string;
}

export interface MergedPart {
  file: string;
  shard: ShardInfo | null;
  startedAt: string;
  requests: number;
}

/**
 * What a result is built from: a finished `Run`, or anything that measured the same things
 * (`blast` drives autocannon and fills these fields itself).
 */
export type FinishedRun = Pick<
  Run,
  | 'scenario'
  | 'options'
  | 'connections'
  | 'steps'
  | 'elapsedMs'
  | 'startedAtWall'
  | 'plannedMs'
  | 'stopReason'
  | 'abortMessage'
  | 'iterationsStarted'
  | 'iterationsCompleted'
  | 'dropped'
  | 'tracker'
  | 'timeline'
  | 'eventLoopDelay'
  | 'internalErrors'
  | 'chatRuntime'
> & {
  /** Where latency is measured from: when the request was due (default), or when sent. */
  latencyFrom?: 'intended' | 'sent';
};

export function buildResult(
  run: FinishedRun,
  verdicts: ThresholdVerdict[],
  generator: { cpuSeconds: number },
  setup?: SetupReport,
): ResultDocument {
  const durationSec = run.elapsedMs / 1000;
  const steps = [...run.steps.values()];
  const stepResults: StepResult[] = steps.map((step) => ({
    name: step.name,
    count: step.count,
    completed: step.completed,
    errors: totalErrors(step.errors),
    errorsByClass: { ...step.errors },
    stalled: step.stalls.total,
    stalls: {
      recovered: step.stalls.recovered,
      timedOut: step.stalls.timedOut,
      neverCompleted: step.stalls.neverCompleted,
    },
    rps: round3(step.completed / Math.max(durationSec, 1e-3)),
    latency: summarize(step.latency),
    service: summarize(step.service),
  }));

  const histograms: ResultDocument['histograms']['steps'] = {};
  for (const step of steps) {
    histograms[step.name] = {
      latency: encodeHistogram(step.latency),
      service: encodeHistogram(step.service),
    };
  }

  const scenario = run.scenario;
  const delivery = run.chatRuntime?.delivery;
  const chat =
    delivery === undefined
      ? {}
      : {
          delivery: {
            ...delivery.counts,
            latency: summarize(delivery.latency),
            histogram: encodeHistogram(delivery.latency),
            windowMs: delivery.windowMs,
          },
          ...(setup ? { setup } : {}),
        };
  return {
    schema: RESULT_SCHEMA,
    tool: { name: 'chatload', version: TOOL_VERSION },
    scenario: { name: scenario.name, file: scenario.file, definition: scenario.raw },
    config: {
      target: run.options.target,
      seed: run.options.seed,
      load: scenario.load,
      timeouts: { ...scenario.timeouts },
      connections: run.connections,
      thresholds: verdicts.map((v) => v.expression),
      latencyFrom: run.latencyFrom ?? 'intended',
    },
    environment: environment(),
    run: {
      startedAt: run.startedAtWall.toISOString(),
      endedAt: new Date(run.startedAtWall.getTime() + run.elapsedMs).toISOString(),
      durationMs: Math.round(run.elapsedMs),
      plannedMs: run.plannedMs ?? null,
      stopReason: run.stopReason,
      abortMessage: run.abortMessage ?? null,
      iterationsStarted: run.iterationsStarted,
      iterationsCompleted: run.iterationsCompleted,
    },
    totals: totalsOf(stepResults, run, durationSec),
    steps: stepResults,
    histograms: { unit: 'microseconds', encoding: 'hdr-compressed-base64', steps: histograms },
    stalls: { list: run.tracker.stallList, notListed: run.tracker.stallsNotListed },
    freezes: run.tracker.freezes,
    thresholds: verdicts,
    timeline: run.timeline.points,
    ...chat,
    generator: {
      cpuSeconds: round3(generator.cpuSeconds),
      maxEventLoopDelayMs: round3(run.eventLoopDelay.max / 1e6),
      internalErrors: run.internalErrors.slice(0, 20),
    },
  };
}

function totalsOf(steps: StepResult[], run: FinishedRun, durationSec: number) {
  const sum = (pick: (s: StepResult) => number) => steps.reduce((t, s) => t + pick(s), 0);
  const errorsByClass = { ...steps[0]?.errorsByClass };
  for (const key of Object.keys(errorsByClass) as (keyof ErrorCounts)[]) {
    errorsByClass[key] = sum((s) => s.errorsByClass[key]);
  }
  const completed = sum((s) => s.completed);
  const errors = sum((s) => s.errors);
  return {
    requests: sum((s) => s.count),
    completed,
    errors,
    errorRate: completed > 0 ? round3((errors / completed) * 100) : 0,
    errorsByClass: errorsByClass as ErrorCounts,
    stalled: sum((s) => s.stalled),
    stalls: {
      recovered: sum((s) => s.stalls.recovered),
      timedOut: sum((s) => s.stalls.timedOut),
      neverCompleted: sum((s) => s.stalls.neverCompleted),
    },
    dropped: run.dropped,
    rps: round3(completed / Math.max(durationSec, 1e-3)),
    latency: summarize(mergeHistograms([...run.steps.values()].map((s) => s.latency))),
    service: summarize(mergeHistograms([...run.steps.values()].map((s) => s.service))),
  };
}

/** The numbers thresholds are judged on, from a live run. */
export function viewOfRun(run: FinishedRun): MetricsView {
  const steps = new Map<string, StepView>();
  for (const [name, step] of run.steps) {
    steps.set(name, {
      latency: step.latency,
      count: step.count,
      completed: step.completed,
      errors: totalErrors(step.errors),
      stalled: step.stalls.total,
    });
  }
  const delivery = run.chatRuntime?.delivery;
  return {
    steps,
    dropped: run.dropped,
    durationSec: run.elapsedMs / 1000,
    ...(delivery ? { delivery: { latency: delivery.latency, counts: delivery.counts } } : {}),
  };
}

/** The same numbers, read back from a result document. */
export function viewOfResult(result: ResultDocument): MetricsView {
  const steps = new Map<string, StepView>();
  for (const step of result.steps) {
    steps.set(step.name, {
      latency: decodeHistogram(result.histograms.steps[step.name].latency),
      count: step.count,
      completed: step.completed,
      errors: step.errors,
      stalled: step.stalled,
    });
  }
  const delivery = result.delivery;
  return {
    steps,
    dropped: result.totals.dropped,
    durationSec: result.run.durationMs / 1000,
    ...(delivery
      ? { delivery: { latency: decodeHistogram(delivery.histogram), counts: delivery } }
      : {}),
  };
}

function environment(): ResultDocument['environment'] {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemoryMb: Math.round(os.totalmem() / 1024 / 1024),
  };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
