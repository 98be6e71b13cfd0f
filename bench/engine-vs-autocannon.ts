// `npm run bench`: chatload's engine against autocannon, side by side in the same run, on a
// target server in a child process; then the memory benchmark (bench/memory.ts).
//
// Both tools drive the same keep-alive server with the same connection count for the
// same duration. What matters is the ratio of CPU spent per request by the generator,
// measured with process.cpuUsage() around each run: absolute figures depend on a shared,
// noisy machine, the ratio of peers run alternately much less.
//
// Flags (or env): --connections (BENCH_CONNECTIONS, 50), --duration s (BENCH_DURATION, 5),
// --rounds (BENCH_ROUNDS, 3), --warmup s (BENCH_WARMUP, 1), --only chatload|autocannon,
// --skip-memory, and for the memory part --users (BENCH_USERS) and --memory-duration.

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Table from 'cli-table3';
import { Run } from '../src/engine/run.js';
import { totalErrors } from '../src/metrics/step-metrics.js';
import { parseScenario } from '../src/scenario/load.js';
import { measure, median, numberOption, printMachine, sleep } from './common.js';
import { startTarget, type Target } from './target.js';
import { plain } from '../src/report/tables.js';

type Tool = 'chatload' | 'autocannon';

interface Settings {
  connections: number;
  durationS: number;
  rounds: number;
  warmupS: number;
  tools: Tool[];
}

interface ToolRun {
  tool: Tool;
  requests: number;
  errors: number;
  cpuMicros: number;
  wallMs: number;
  /** Connections the server accepted during the run. */
  connections: number;
}

// No rule under the header either (`plain` has no colours or rules between rows): the output
// is pasted into reports and CI logs.
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

// Lets the server close the previous run's sockets before the next run starts.
const PAUSE_BETWEEN_RUNS_MS = 300;

const { values: flags } = parseArgs({
  options: {
    connections: { type: 'string' },
    duration: { type: 'string' },
    rounds: { type: 'string' },
    warmup: { type: 'string' },
    only: { type: 'string' },
    'skip-memory': { type: 'boolean' },
    users: { type: 'string' },
    'memory-duration': { type: 'string' },
  },
});

function readSettings(): Settings {
  const only = flags.only ?? process.env.BENCH_ONLY;
  if (only !== undefined && only !== 'chatload' && only !== 'autocannon') {
    throw new Error(`--only: expected chatload or autocannon, found "${only}"`);
  }
  return {
    connections: Math.round(numberOption(flags.connections, 'BENCH_CONNECTIONS', 50)),
    durationS: numberOption(flags.duration, 'BENCH_DURATION', 5),
    rounds: Math.round(numberOption(flags.rounds, 'BENCH_ROUNDS', 3)),
    warmupS: numberOption(flags.warmup, 'BENCH_WARMUP', 1),
    tools: only ? [only] : ['chatload', 'autocannon'],
  };
}

function chatloadScenario(connections: number, durationS: number): string {
  return [
    'name: bench',
    `load: { model: closed, users: ${connections}, duration: ${durationS * 1000}ms }`,
    // One connection per user, as autocannon has one per connection: the same count.
    'http: { connections: per-user }',
    'flows:',
    '  - name: get',
    '    steps:',
    '      - get: /',
    '        name: root',
    '',
  ].join('\n');
}

async function runChatload(target: Target, connections: number, durationS: number) {
  const scenario = parseScenario(chatloadScenario(connections, durationS), 'bench.yaml', 'yaml');
  const measured = await measure(async () => {
    const run = new Run(scenario, { target: target.url, seed: 1 });
    await run.execute();
    return run;
  });

  const run = measured.value;
  let requests = 0;
  let errors = run.internalErrors.length;
  for (const step of run.steps.values()) {
    requests += step.completed;
    errors += totalErrors(step.errors);
  }
  return { requests, errors, cpuMicros: measured.cpuMicros, wallMs: measured.wallMs };
}

async function runAutocannon(target: Target, connections: number, durationS: number) {
  // No `workers`: autocannon then fires from this thread, as chatload does.
  const options = { url: target.url, connections, duration: durationS, pipelining: 1 };
  const measured = await measure(() => autocannon(options));
  const result = measured.value;
  return {
    requests: result.requests.total,
    errors: result.errors + result.non2xx,
    cpuMicros: measured.cpuMicros,
    wallMs: measured.wallMs,
  };
}

async function runTool(tool: Tool, target: Target, settings: Settings, durationS: number) {
  await target.reset();
  const run = tool === 'chatload' ? runChatload : runAutocannon;
  const result = await run(target, settings.connections, durationS);
  const server = await target.stats();
  await sleep(PAUSE_BETWEEN_RUNS_MS);
  return { tool, ...result, connections: server.connections };
}

/** Alternates the order each round, so that neither tool always runs on a warmer machine. */
async function runRounds(target: Target, settings: Settings): Promise<ToolRun[][]> {
  for (const tool of settings.tools) await runTool(tool, target, settings, settings.warmupS);

  const rounds: ToolRun[][] = [];
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 === 0 ? settings.tools : [...settings.tools].reverse();
    const runs: ToolRun[] = [];
    for (const tool of order) {
      runs.push(await runTool(tool, target, settings, settings.durationS));
      process.stderr.write('.');
    }
    rounds.push(runs);
  }
  process.stderr.write('\n');
  return rounds;
}

const perRequest = (run: ToolRun) => (run.requests > 0 ? run.cpuMicros / run.requests : NaN);
const perSecond = (run: ToolRun) => run.requests / (run.wallMs / 1000);

/** chatload's figure over autocannon's, for one round; NaN when only one tool ran. */
function ratio(runs: ToolRun[], figure: (run: ToolRun) => number): number {
  const chatload = runs.find((run) => run.tool === 'chatload');
  const peer = runs.find((run) => run.tool === 'autocannon');
  return chatload && peer ? figure(chatload) / figure(peer) : NaN;
}

const cpuRatio = (runs: ToolRun[]) => ratio(runs, perRequest);

function printRounds(rounds: ToolRun[][]): void {
  const table = new Table({
    head: ['round', 'tool', 'requests', 'req/s', 'CPU µs/req', 'CPU cores', 'conns', 'errors'],
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
    style: plain,
    chars: COMPACT,
  });
  rounds.forEach((runs, index) => {
    for (const run of runs) {
      table.push([
        index + 1,
        run.tool,
        run.requests,
        Math.round(perSecond(run)),
        perRequest(run).toFixed(1),
        (run.cpuMicros / 1000 / run.wallMs).toFixed(2),
        run.connections,
        run.errors,
      ]);
    }
    const cpu = cpuRatio(runs);
    if (Number.isNaN(cpu)) return;
    const rps = ratio(runs, perSecond).toFixed(2);
    table.push([index + 1, 'chatload/autocannon', '', rps, cpu.toFixed(2), '', '', '']);
  });
  console.log(table.toString());
}

function printSummary(rounds: ToolRun[][], tools: Tool[]): void {
  const table = new Table({
    head: ['median of rounds', 'req/s', 'CPU µs/req'],
    colAligns: ['left', 'right', 'right'],
    style: plain,
    chars: COMPACT,
  });
  for (const tool of tools) {
    const runs = rounds.flat().filter((run) => run.tool === tool);
    table.push([
      tool,
      Math.round(median(runs.map(perSecond))),
      median(runs.map(perRequest)).toFixed(1),
    ]);
  }
  const ratios = rounds.map(cpuRatio).filter((value) => !Number.isNaN(value));
  console.log(table.toString());
  if (ratios.length === 0) return;

  const throughput = rounds.map((runs) => ratio(runs, perSecond));
  console.log(
    `CPU per request, chatload/autocannon: median ${median(ratios).toFixed(2)} ` +
      `(rounds: ${ratios.map((value) => value.toFixed(2)).join(', ')}; 1.00 = same cost)`,
  );
  console.log(
    `req/s, chatload/autocannon: median ${median(throughput).toFixed(2)} ` +
      `(rounds: ${throughput.map((value) => value.toFixed(2)).join(', ')})`,
  );
}

async function throughputBench(settings: Settings): Promise<void> {
  console.log(
    `## CPU per request: ${settings.tools.join(' vs ')}, ${settings.connections} connections, ` +
      `${settings.durationS}s x ${settings.rounds} rounds (+${settings.warmupS}s warm-up each)`,
  );
  const target = await startTarget();
  try {
    console.log(`target: ${target.url} (node:http in child PID ${target.pid})`);
    const rounds = await runRounds(target, settings);
    printRounds(rounds);
    printSummary(rounds, settings.tools);
  } finally {
    await target.stop();
  }
}

/** The memory part runs in a fresh process, so that its RSS baseline carries no leftovers. */
function memoryBench(): Promise<number> {
  const entry = fileURLToPath(new URL('./memory.ts', import.meta.url));
  const args = ['--no-banner'];
  if (flags.users) args.push('--users', flags.users);
  if (flags['memory-duration']) args.push('--duration', flags['memory-duration']);
  const child = fork(entry, args, {
    execArgv: ['--import', 'tsx', '--expose-gc'],
    stdio: 'inherit',
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function main(): Promise<void> {
  const settings = readSettings();
  printMachine('# chatload benchmark: engine vs autocannon, then memory per user');
  await throughputBench(settings);
  if (flags['skip-memory']) return;

  console.log('');
  const code = await memoryBench();
  if (code !== 0) throw new Error(`the memory benchmark failed (exit code ${code})`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack : error);
  process.exitCode = 1;
});
