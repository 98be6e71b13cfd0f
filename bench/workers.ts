// `npm run bench:workers`: what worker threads cost and give. Two scenarios run against a
// fast local target (in a child process), each three ways, alternately: in the main thread
// (the peer), with `--workers 1` and with `--workers 2`:
//
// - fixed rate (open model): the same requests per second in every mode, so the requests
//   per CPU second of the whole generator process (all its threads, the parent's merging
//   included) compare the cost of a request;
// - flat out (closed model, no think time): the most each mode gets from the target.
//
// Each run is the built `chatload run` in a child process (`npm run bench:workers` builds
// first), measured by its own result document: requests and CPU of the steady seconds of
// its timeline (the parent measures the CPU of the whole process, all threads), so the
// workers' start-up is left out; the CPU of the whole run, start-up included, is shown too.
//
// Then the cost of merging: the parent's per-second work (adding the workers' timeline
// points and step histograms) and the final merge of the workers' result documents.
//
// On a 2-core machine the target needs a core of its own, so 2 workers flat out compete
// with it for the cores and cannot show a speed-up here; on a larger machine they can.
//
// Flags (or env): --rate (BENCH_RATE, 8000), --users (BENCH_USERS, 50), --duration s
// (BENCH_DURATION, 5), --rounds (BENCH_ROUNDS, 3).

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { Bench } from 'tinybench';
import { decodeHistogram, createHistogram } from '../src/metrics/histogram.js';
import { addTimelinePoints, mergeResults } from '../src/report/merge.js';
import type { ResultDocument } from '../src/report/result.js';
import { median, numberOption, printMachine, sleep } from './common.js';
import { startTarget, type Target } from './target.js';
import { plain } from '../src/report/tables.js';

const CHATLOAD_BIN = fileURLToPath(new URL('../bin/chatload', import.meta.url));

type Mode = 'main thread' | '1 worker' | '2 workers';
const MODES: Mode[] = ['main thread', '1 worker', '2 workers'];
type Load = 'fixed rate' | 'flat out';

interface ModeRun {
  requests: number;
  errors: number;
  /** CPU of the whole chatload process, start-up and shut-down included. */
  cpuSeconds: number;
  /** Requests per CPU second over the steady seconds (the first and last two left out). */
  steadyPerCpu: number;
  document: ResultDocument;
}

function scenarioFile(target: Target, load: string, durationS: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'chatload-bench-workers-'));
  const file = join(dir, 'workers.yaml');
  writeFileSync(
    file,
    `
name: bench-workers
target: ${target.url}
load: { ${load}, duration: ${durationS}s }
timeouts: { grace: 2s }
flows:
  - name: ping
    steps:
      - get: /
        name: ping
`,
  );
  return file;
}

/** Runs the built `chatload` in a child process, so that each mode is measured as shipped. */
async function runMode(mode: Mode, file: string): Promise<ModeRun> {
  const out = join(dirname(file), 'result.json');
  const workers = mode === 'main thread' ? [] : ['--workers', mode === '1 worker' ? '1' : '2'];
  const args = [CHATLOAD_BIN, 'run', file, ...workers, '--seed', '1', '--quiet', '--out', out];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) {
    throw new Error(`chatload ${args.slice(1).join(' ')} exited ${code}:\n${stderr}`);
  }

  const document = JSON.parse(readFileSync(out, 'utf8')) as ResultDocument;
  const steady = document.timeline.slice(2, -2);
  const steadyRequests = steady.reduce((sum, point) => sum + point.requests, 0);
  const steadyCpu = steady.reduce((sum, point) => sum + point.cpu * point.seconds, 0);
  return {
    requests: document.totals.completed,
    errors: document.totals.errors,
    cpuSeconds: document.generator.cpuSeconds,
    steadyPerCpu: steadyRequests / steadyCpu,
    document,
  };
}

/** CPU µs of the parent's per-second work and of the final merge, per second of run. */
async function mergeCost(document: ResultDocument, durationS: number) {
  // Two copies of a real run's document stand for two workers' documents of that size.
  const documents = [document, document];
  const seconds = Math.max(1, Math.min(...documents.map((doc) => doc.timeline.length)));
  const ticks = Array.from({ length: seconds }, (_, t) => documents.map((d) => d.timeline[t]));
  const stepHistograms = documents.map((doc) => doc.histograms.steps.ping.latency);
  const parts = documents.map((doc, index) => ({ doc, label: `worker ${index + 1}` }));

  const bench = new Bench({ time: 1000 });
  let tick = 0;
  bench
    .add('per second: add the workers’ points and step histograms', () => {
      addTimelinePoints(ticks[tick++ % ticks.length]);
      const total = createHistogram();
      for (const encoded of stepHistograms) total.add(decodeHistogram(encoded));
    })
    .add('at the end: merge the workers’ result documents', () => {
      mergeResults(parts, { single: true });
    });
  await bench.run();
  const [perTick, final] = bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
    return result.latency.mean * 1000;
  });
  return { perTickMicros: perTick, finalMicros: final, finalPerSecond: final / durationS };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rate: { type: 'string' },
      users: { type: 'string' },
      duration: { type: 'string' },
      rounds: { type: 'string' },
    },
  });
  const rate = numberOption(values.rate, 'BENCH_RATE', 8000);
  const users = numberOption(values.users, 'BENCH_USERS', 50);
  const durationS = numberOption(values.duration, 'BENCH_DURATION', 5);
  const rounds = numberOption(values.rounds, 'BENCH_ROUNDS', 3);
  printMachine(
    `bench:workers — fixed rate ${rate}/s, and flat out with ${users} users; ` +
      `${durationS}s per run, ${rounds} rounds, modes alternate`,
  );

  const loads: [Load, string][] = [
    ['fixed rate', `model: open, rate: ${rate}/s, maxUsers: ${users}`],
    ['flat out', `model: closed, users: ${users}`],
  ];
  const target = await startTarget();
  const results = new Map<string, ModeRun[]>();
  try {
    for (const [load, loadText] of loads) {
      const file = scenarioFile(target, loadText, durationS);
      for (let round = 1; round <= rounds; round++) {
        for (const mode of MODES) {
          const run = await runMode(mode, file);
          const key = `${load}/${mode}`;
          results.set(key, [...(results.get(key) ?? []), run]);
          console.log(
            `${load}, round ${round}, ${mode.padEnd(11)} ` +
              `${Math.round(run.requests / durationS)} req/s, ` +
              `${Math.round(run.steadyPerCpu)} req per CPU s steady, ` +
              `${Math.round(run.requests / run.cpuSeconds)} overall, ${run.errors} errors`,
          );
          await sleep(500);
        }
      }
    }
  } finally {
    await target.stop();
  }

  const table = new Table({
    head: [
      'load',
      'mode',
      'req/s',
      'req per CPU s, steady',
      'vs main thread',
      'CPU s per run, all in',
    ],
    style: plain,
  });
  for (const [load] of loads) {
    const runsOf = (mode: Mode) => results.get(`${load}/${mode}`)!;
    const peer = median(runsOf('main thread').map((r) => r.steadyPerCpu));
    for (const mode of MODES) {
      const steady = median(runsOf(mode).map((r) => r.steadyPerCpu));
      table.push([
        load,
        mode,
        Math.round(median(runsOf(mode).map((r) => r.requests / durationS))),
        Math.round(steady),
        (steady / peer).toFixed(2),
        median(runsOf(mode).map((r) => r.cpuSeconds)).toFixed(2),
      ]);
    }
  }
  console.log('');
  console.log(table.toString());

  const cost = await mergeCost(results.get('fixed rate/main thread')!.at(-1)!.document, durationS);
  console.log('');
  console.log('merge cost (2 workers, tinybench, CPU of the parent thread):');
  console.log(
    `  per second of run: ${cost.perTickMicros.toFixed(0)} µs ` +
      `(${((cost.perTickMicros / 1e6) * 100).toFixed(3)}% of one core)`,
  );
  console.log(
    `  final merge: ${cost.finalMicros.toFixed(0)} µs once, ` +
      `${cost.finalPerSecond.toFixed(0)} µs per second of a ${durationS}s run`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
