// `chatload blast <url>`: raw endpoint throughput, driven by autocannon, written as a result
// document of the same format as `run` (one step named "METHOD /path"), so that compare,
// gates and reports work on it unchanged.
//
// Each response time from autocannon's `response` event goes into chatload's own HDR
// histogram; failures are sorted into chatload's error classes; a Timeline closes a point
// every second, as in a run.
//
// Limitation: autocannon measures from the moment it wrote the request, so blast latency is
// service time (latency and service are the same histogram here), and a request that
// never answers is ended by autocannon's timeout and counted as a `timeout` error rather
// than tracked as stalled, because autocannon does not expose requests still in flight.

import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import autocannonModule from 'autocannon';
import { InFlightTracker } from '../metrics/inflight.js';
import { StepMetrics, type ErrorClass } from '../metrics/step-metrics.js';
import { Timeline } from '../metrics/timeline.js';
import { classifyError } from '../protocols/http.js';
import { judge } from '../report/gates.js';
import { buildResult, viewOfRun, type FinishedRun, type ResultDocument } from '../report/result.js';
import type { HttpMethod, Scenario } from '../scenario/types.js';

export interface BlastOptions {
  url: string;
  connections: number;
  durationMs: number;
  method: HttpMethod;
  body?: string;
  headers: Record<string, string>;
  /** autocannon's per-request timeout. */
  timeoutMs: number;
}

// The part of autocannon's programmatic API used here (it ships no types).
interface AutocannonInstance {
  on(
    event: 'response',
    listener: (client: unknown, status: number, bytes: number, ms: number) => void,
  ): void;
  on(event: 'reqError', listener: (error: Error) => void): void;
  stop(): void;
}
type Autocannon = (
  options: Record<string, unknown>,
  done: (error: Error | null, result: unknown) => void,
) => AutocannonInstance;
const autocannon = autocannonModule as unknown as Autocannon;

export async function blast(options: BlastOptions): Promise<ResultDocument> {
  const url = new URL(options.url);
  const name = `${options.method} ${url.pathname}${url.search}`;
  const step = new StepMetrics(name);
  const startedAt = performance.now();
  const startedAtWall = new Date();
  const tracker = new InFlightTracker(options.timeoutMs, startedAt);
  const eventLoopDelay = monitorEventLoopDelay({ resolution: 10 });
  const steps = new Map([[name, step]]);
  const timeline = new Timeline({
    startedAt,
    steps,
    tracker,
    activeUsers: options.connections,
    targetLoad: options.connections,
    eventLoopDelay,
  });

  eventLoopDelay.enable();
  const ticker = setInterval(() => timeline.close(performance.now()), 1000);
  try {
    await fire(options, step);
  } finally {
    clearInterval(ticker);
  }
  const endedAt = performance.now();
  timeline.close(endedAt);
  eventLoopDelay.disable();

  // buildResult reads a finished run; blast has no Run, so it hands over the same fields.
  const finished = {
    scenario: scenarioOf(options, name),
    options: { target: url.origin, seed: 0 },
    connections: options.connections,
    steps,
    elapsedMs: endedAt - startedAt,
    startedAtWall,
    plannedMs: options.durationMs,
    stopReason: 'completed',
    abortMessage: undefined,
    iterationsStarted: step.count,
    iterationsCompleted: step.completed - totalOf(step),
    dropped: 0,
    tracker,
    timeline,
    eventLoopDelay,
    internalErrors: [],
    chatRuntime: undefined,
    latencyFrom: 'sent',
  } satisfies FinishedRun;
  const verdicts = judge([], viewOfRun(finished));
  const cpu = process.cpuUsage();
  return buildResult(finished, verdicts, { cpuSeconds: (cpu.user + cpu.system) / 1e6 });
}

function fire(options: BlastOptions, step: StepMetrics): Promise<void> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: options.durationMs / 1000,
        method: options.method,
        body: options.body,
        headers: options.headers,
        timeout: options.timeoutMs / 1000,
      },
      (error) => (error ? reject(error) : resolve()),
    );
    instance.on('response', (_client, status, _bytes, responseMs) => {
      step.count++;
      const errorClass: ErrorClass | undefined =
        status >= 500 ? 'http5xx' : status >= 400 ? 'http4xx' : undefined;
      step.recordCompletion(responseMs, responseMs, errorClass);
    });
    instance.on('reqError', (error) => {
      step.count++;
      const errorClass = error.message === 'request timed out' ? 'timeout' : classifyError(error);
      step.completed++;
      step.intervalCompleted++;
      step.intervalErrors++;
      step.errors[errorClass]++;
    });
  });
}

function totalOf(step: StepMetrics): number {
  return Object.values(step.errors).reduce((sum, n) => sum + n, 0);
}

/** A scenario that describes the blast, so that two blasts compare only when alike. */
function scenarioOf(options: BlastOptions, stepName: string): Scenario {
  return {
    name: 'blast',
    file: '<blast>',
    target: new URL(options.url).origin,
    load: {
      model: 'closed',
      startUsers: options.connections,
      stages: [{ durationMs: options.durationMs, users: options.connections }],
    },
    timeouts: { requestMs: options.timeoutMs, stallMs: options.timeoutMs, graceMs: 0 },
    http: { connections: options.connections },
    variables: {},
    flows: [],
    thresholds: [],
    raw: {
      blast: {
        step: stepName,
        method: options.method,
        connections: options.connections,
        durationMs: options.durationMs,
        headers: options.headers,
        body: options.body ?? null,
      },
    },
  };
}
