// `chatload probe <scenario>`: the unloaded latency of each step. One user walks each flow
// once (so that captured values exist), then every HTTP step is sent again and again,
// alone and in sequence, timed by tinybench. A run under load can then report latency
// inflation per step: loaded p50 / unloaded p50 (see inflation.ts).

import os from 'node:os';
import { Bench } from 'tinybench';
import { createRandom } from '../engine/random.js';
import { httpSteps } from '../engine/run.js';
import { User } from '../engine/user.js';
import { HttpClient } from '../protocols/http.js';
import type { HttpStep, Scenario } from '../scenario/types.js';
import { TOOL_VERSION } from '../version.js';

export const PROBE_SCHEMA = 'chatload/probe/v1';

export interface ProbeStep {
  name: string;
  samples: number;
  errors: number;
  /** Milliseconds, as measured by tinybench around each request. */
  p50: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
}

export interface ProbeDocument {
  schema: typeof PROBE_SCHEMA;
  tool: { name: 'chatload'; version: string };
  scenario: { name: string; file: string };
  config: { target: string; iterations: number; seed: number };
  environment: { node: string; platform: string; cpus: number };
  startedAt: string;
  probe: { steps: ProbeStep[] };
}

export async function probe(
  scenario: Scenario,
  options: { target: string; iterations: number; seed: number },
): Promise<ProbeDocument> {
  const startedAt = new Date().toISOString();
  const client = new HttpClient(options.target, {
    connections: 'per-user',
    requestTimeoutMs: scenario.timeouts.requestMs,
  });
  const random = createRandom(options.seed, 0);
  const user = new User({
    userIndex: 0,
    vars: { ...scenario.variables },
    data: scenario.data?.rows[0] ?? {},
    random,
    startAt: 0,
  });

  const steps = uniqueSteps(scenario);
  const errors = new Map<string, number>(steps.map((s) => [s.name, 0]));
  try {
    // One pass in flow order first, so that later steps find the values earlier ones capture.
    for (const step of steps) await client.send(step, user);

    const bench = new Bench({
      iterations: options.iterations,
      time: 0,
      warmupIterations: Math.min(5, options.iterations),
      warmupTime: 0,
    });
    for (const step of steps) {
      bench.add(step.name, async () => {
        const error = await client.send(step, user);
        if (error !== undefined) errors.set(step.name, (errors.get(step.name) ?? 0) + 1);
      });
    }
    await bench.run();
    return {
      schema: PROBE_SCHEMA,
      tool: { name: 'chatload', version: TOOL_VERSION },
      scenario: { name: scenario.name, file: scenario.file },
      config: { target: options.target, iterations: options.iterations, seed: options.seed },
      environment: { node: process.version, platform: process.platform, cpus: os.cpus().length },
      startedAt,
      probe: { steps: bench.tasks.map((task) => stepOf(task, errors.get(task.name) ?? 0)) },
    };
  } finally {
    client.release(user);
    await client.destroy();
  }
}

/** Each named step once, in the order the flows first use it. */
function uniqueSteps(scenario: Scenario): HttpStep[] {
  const seen = new Map<string, HttpStep>();
  for (const step of httpSteps(scenario.flows)) if (!seen.has(step.name)) seen.set(step.name, step);
  return [...seen.values()];
}

function stepOf(task: Bench['tasks'][number], errors: number): ProbeStep {
  const result = task.result;
  if (result.state !== 'completed') {
    const reason = result.state === 'errored' ? `: ${String(result.error)}` : '';
    throw new Error(`probing step "${task.name}" ended ${result.state}${reason}`);
  }
  const latency = result.latency;
  return {
    name: task.name,
    samples: latency.samplesCount,
    errors,
    p50: round3(latency.p50),
    p99: round3(latency.p99),
    mean: round3(latency.mean),
    min: round3(latency.min),
    max: round3(latency.max),
  };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
