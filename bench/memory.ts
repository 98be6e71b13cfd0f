// `npm run bench:memory` (also run at the end of `npm run bench`): what a thinking user
// costs the generator in memory. 5,000 closed-model users each send a request, think for
// 1–2 s, and go again, over a pool of as many keep-alive connections, for ~15 s.
//
// The generator's RSS is sampled once a second: the baseline is taken after a small
// warm-up run (so that lazily compiled code and module state are not billed to users) and
// a forced GC when --expose-gc is on. The target server, in a child process, counts the
// connections it accepts, so that the report shows whether every user held one.
//
// Flags (or env): --users (BENCH_USERS, 5000), --duration s (BENCH_MEMORY_DURATION, 15),
// --no-banner (when run from bench/engine-vs-autocannon.ts, which printed it already).

import { parseArgs } from 'node:util';
import { Run } from '../src/engine/run.js';
import { ERROR_CLASSES, emptyErrorCounts } from '../src/metrics/step-metrics.js';
import { parseScenario } from '../src/scenario/load.js';
import { measure, megabytes, numberOption, printMachine, sleep } from './common.js';
import { startTarget, type Target } from './target.js';
import type { TargetStats } from './target-server.js';

const THINK = '1s..2s';
const SAMPLE_INTERVAL_MS = 1000;
const WARM_UP_USERS = 50;

const { values: flags } = parseArgs({
  options: {
    users: { type: 'string' },
    duration: { type: 'string' },
    'no-banner': { type: 'boolean' },
  },
});

function scenarioText(users: number, durationS: number): string {
  return [
    'name: bench-memory',
    `load: { model: closed, users: ${users}, duration: ${durationS * 1000}ms }`,
    // Each user holds its own keep-alive connection, as a browser tab does.
    'http: { connections: per-user }',
    'flows:',
    '  - name: chat',
    '    steps:',
    '      - get: /',
    '        name: root',
    `      - think: ${THINK}`,
    '',
  ].join('\n');
}

async function runScenario(target: Target, users: number, durationS: number): Promise<Run> {
  const scenario = parseScenario(scenarioText(users, durationS), 'bench.yaml', 'yaml');
  const run = new Run(scenario, { target: target.url, seed: 1 });
  await run.execute();
  return run;
}

/** Collects garbage twice (weak refs and finalizers free more on the second pass). */
async function settle(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let pass = 0; pass < 2; pass++) {
    gc?.();
    await sleep(100);
  }
}

/** Samples RSS each second until stopped (and whenever `sample` is called). */
function startSampler() {
  const rss: number[] = [];
  const sample = () => rss.push(process.memoryUsage().rss);
  const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
  return {
    sample,
    stop() {
      clearInterval(timer);
      sample();
      return { rss, peakRss: Math.max(...rss) };
    },
  };
}

function summarizeRun(run: Run) {
  const errors = emptyErrorCounts();
  let requests = 0;
  for (const step of run.steps.values()) {
    requests += step.completed;
    for (const errorClass of ERROR_CLASSES) errors[errorClass] += step.errors[errorClass];
  }
  const loopDelayP99 = Math.max(0, ...run.timeline.points.map((point) => point.loopDelayP99));
  const peakUsers = Math.max(0, ...run.timeline.points.map((point) => point.users));
  return { requests, errors, loopDelayP99, peakUsers };
}

function formatErrors(errors: ReturnType<typeof emptyErrorCounts>, internal: number): string {
  const parts = ERROR_CLASSES.filter((name) => errors[name] > 0).map(
    (name) => `${name} ${errors[name]}`,
  );
  if (internal > 0) parts.push(`internal ${internal}`);
  return parts.length ? parts.join(', ') : '0';
}

interface MemoryResult {
  users: number;
  run: Run;
  cpuMicros: number;
  wallMs: number;
  baseline: NodeJS.MemoryUsage;
  samples: ReturnType<ReturnType<typeof startSampler>['stop']>;
  live: NodeJS.MemoryUsage | undefined;
  after: number;
  server: TargetStats;
}

/**
 * Peak RSS includes garbage not yet collected, so it depends on GC timing; with
 * --expose-gc a forced collection half-way through also gives the live heap per user.
 */
async function memoryBench(
  target: Target,
  users: number,
  durationS: number,
): Promise<MemoryResult> {
  await runScenario(target, WARM_UP_USERS, 1);
  await settle();
  await target.reset();
  const baseline = process.memoryUsage();

  let live: NodeJS.MemoryUsage | undefined;
  const gc = (globalThis as { gc?: () => void }).gc;
  const sampler = startSampler();
  const takeLive = () => {
    if (!gc) return;
    gc();
    live = process.memoryUsage();
    sampler.sample();
  };
  const midRun = setTimeout(takeLive, (durationS * 1000) / 2);
  const measured = await measure(() => runScenario(target, users, durationS));
  const samples = sampler.stop();
  clearTimeout(midRun);
  const server = await target.stats();
  await settle();
  const after = process.memoryUsage().rss;
  const { value: run, cpuMicros, wallMs } = measured;
  return { users, run, cpuMicros, wallMs, baseline, samples, live, after, server };
}

const line = (label: string, value: string) => console.log(`${label.padEnd(28)}${value}`);
const kilobytes = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

function printMemory(result: MemoryResult): void {
  const { users, baseline, samples, live, server } = result;
  const run = summarizeRun(result.run);
  const perSecond = (run.requests / (result.wallMs / 1000)).toFixed(0);
  const cores = (result.cpuMicros / 1000 / result.wallMs).toFixed(2);
  const spread = server.perConnection;

  line('users started (peak)', `${run.peakUsers} of ${users}`);
  line('requests completed', `${run.requests} (${perSecond}/s)`);
  line('errors', formatErrors(run.errors, result.run.internalErrors.length));
  line('server: connections seen', `${server.connections} (peak open ${server.peakOpen})`);
  line('server: requests answered', `${server.requests}`);
  line(
    'server: requests per conn',
    `min ${spread.min}, median ${spread.median}, max ${spread.max}`,
  );
  line('generator RSS baseline', `${megabytes(baseline.rss)} MB`);
  line('generator RSS peak', `${megabytes(samples.peakRss)} MB`);
  line('RSS per user (peak)', kilobytes((samples.peakRss - baseline.rss) / users));
  if (live) {
    const heap = kilobytes((live.heapUsed - baseline.heapUsed) / users);
    line(
      'live per user (mid-run GC)',
      `RSS ${kilobytes((live.rss - baseline.rss) / users)}, heap ${heap}`,
    );
  }
  line('RSS after run + GC', `${megabytes(result.after)} MB`);
  line('RSS each second (MB)', samples.rss.map((bytes) => Math.round(bytes / 2 ** 20)).join(' '));
  line('generator CPU', `${cores} cores, event-loop delay p99 max ${run.loopDelayP99} ms`);
  if (server.connections < users) {
    console.log(`note: ${users - server.connections} users never got a connection of their own`);
  }
  // Per-user connections would each carry about the mean; a pool funnels load onto a few.
  const mean = server.requests / Math.max(1, server.connections);
  if (spread.max > 4 * mean) {
    console.log(
      'note: connections are shared, not held per user: most served only a few requests, ' +
        `a few up to ${spread.max} (mean ${mean.toFixed(1)})`,
    );
  }
}

async function main(): Promise<void> {
  const users = Math.round(numberOption(flags.users, 'BENCH_USERS', 5000));
  const durationS = numberOption(flags.duration, 'BENCH_MEMORY_DURATION', 15);
  if (!flags['no-banner']) printMachine('# chatload benchmark: memory per user');
  console.log(
    `## Memory: ${users} closed-model users, think ${THINK}, ${durationS}s, ` +
      `http.connections ${users}`,
  );
  if ((globalThis as { gc?: unknown }).gc === undefined) {
    console.log('note: run with --expose-gc for a steadier baseline');
  }

  const target = await startTarget();
  // If the parent benchmark dies, do not linger with 5,000 sockets open. The listener
  // holds the IPC channel open, so it must go once the benchmark is over.
  const onParentGone = () => void target.stop().finally(() => process.exit(1));
  process.on('disconnect', onParentGone);
  try {
    console.log(`target: ${target.url} (node:http in child PID ${target.pid})`);
    printMemory(await memoryBench(target, users, durationS));
  } finally {
    process.off('disconnect', onParentGone);
    await target.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
