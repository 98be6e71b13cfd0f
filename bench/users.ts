// `npm run bench:users`: what simulated chat users cost the generator. 1,000 and then 5,000
// users, each logged in with an open WebSocket and running the realistic action mix (sped
// up), against the bundled server in its own process. Prints RSS and CPU at both sizes and
// the marginal memory per added user: (RSS at 5,000 − RSS at 1,000) / 4,000.
//
// Each size runs in a fresh generator process of its own (a child of this one), so that
// neither inherits the other's high-water marks, and both reuse the same accounts, which
// this process creates once before either starts: the two differ only in their user count.
//
// RSS is read once a second while every user is in; the figure is the median of those reads,
// what `top` shows in the steady state, and the peak is printed beside it. It is read
// before any forced GC: garbage waiting for collection is memory the process really holds,
// and a forced GC leaves a transient of its own (pages it evacuated are unmapped later).
// The live heap is read after a forced GC, at the end.
//
// Flags (or env): --small (BENCH_SMALL, 1000), --large (BENCH_LARGE, 5000),
// --hold s (BENCH_HOLD, 20): how long each size runs once every user is in.
// BENCH_DEBUG=1 prints the open sockets and users every second.

import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import { parseArgs } from 'node:util';
import { Run } from '../src/engine/run.js';
import { runSetup } from '../src/protocols/mattermost/setup.js';
import { parseScenario } from '../src/scenario/load.js';
import { launchBundledServer } from '../src/server/launch.js';

const { values: flags } = parseArgs({
  options: { small: { type: 'string' }, large: { type: 'string' }, hold: { type: 'string' } },
});
const SMALL = Number(flags.small ?? process.env.BENCH_SMALL ?? 1000);
const LARGE = Number(flags.large ?? process.env.BENCH_LARGE ?? 5000);
const HOLD_S = Number(flags.hold ?? process.env.BENCH_HOLD ?? 20);

/** What a child process is told: where the server is and how many users to run. */
interface ChildTask {
  url: string;
  admin: { user: string; password: string };
  users: number;
}

interface Sample {
  users: number;
  /** RSS of the fresh process once setup is done, before any user starts. */
  baselineRssMb: number;
  sockets: number;
  /** Median of the RSS reads during the hold. */
  rssMb: number;
  peakRssMb: number;
  /** Live heap: used after a full GC. */
  heapMb: number;
  cpuCores: number;
  requests: number;
  deliveries: number;
  lost: number;
}

function scenarioText(users: number): string {
  // Logins as fast as the server hashes passwords; idle 10–30 s (the realistic mix without
  // its slow users) keeps users busy without turning the benchmark into a test of the
  // server. The run is stopped once every user has been connected for the hold time (the
  // 15 minutes are only an upper bound).
  return `
name: bench-users
protocol: mattermost
load: { model: closed, users: ${users}, duration: 15m }
timeouts: { stall: 10s, grace: 5s }
mattermost:
  setup: { prefix: bench, loginRate: 500/s }
  idle: ${process.env.BENCH_IDLE ?? '10s..30s'}
  speed: { x1: 100 }
`;
}

function debugMemory(users: number, before: NodeJS.MemoryUsage, after: NodeJS.MemoryUsage) {
  const mb = (m: NodeJS.MemoryUsage) =>
    Object.entries(m)
      .map(([k, v]) => `${k} ${(v / 2 ** 20).toFixed(1)}`)
      .join(', ');
  console.error(`${users} users before gc: ${mb(before)}`);
  console.error(`${users} users after gc:  ${mb(after)}`);
  const status = readFileSync('/proc/self/status', 'utf8')
    .split('\n')
    .filter((l) => /^(VmRSS|RssAnon|RssFile|RssShmem|Threads)/.test(l))
    .map((l) => l.replace(/\s+/g, ' '))
    .join(', ');
  console.error(`${users} users: ${status}`);
  const spaces = v8
    .getHeapSpaceStatistics()
    .map(
      (sp) =>
        `${sp.space_name} ${(sp.space_size / 2 ** 20).toFixed(1)}/` +
        `${(sp.physical_space_size / 2 ** 20).toFixed(1)}/${(sp.space_used_size / 2 ** 20).toFixed(1)}`,
    )
    .join(', ');
  console.error(`${users} users heap spaces size/physical/used: ${spaces}`);
  console.error(`${users} users anon mappings: ${anonMappings()}`);
}

/** The extent of the brk heap (glibc's main malloc arena), from /proc/self/maps. */
function brkHeapBytes(): number {
  const line = readFileSync('/proc/self/maps', 'utf8')
    .split('\n')
    .find((l) => l.endsWith('[heap]'));
  if (line === undefined) return 0;
  const [start, end] = line.split(' ')[0].split('-');
  return parseInt(end, 16) - parseInt(start, 16);
}

// Resident anonymous memory by kind of mapping: brk heap, big (>= 1 MB) and small mappings.
function anonMappings(): string {
  const totals: Record<string, number> = {};
  let name = '';
  let sizeKb = 0;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      name = head[3];
      sizeKb = (parseInt(head[2], 16) - parseInt(head[1], 16)) / 1024;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const kind =
      name !== ''
        ? name.startsWith('/')
          ? 'file'
          : name
        : sizeKb >= 1024
          ? 'anon>=1MB'
          : 'anon<1MB';
    totals[kind] = (totals[kind] ?? 0) + Number(rss[1]);
  }
  return Object.entries(totals)
    .map(([k, v]) => `${k} ${(v / 1024).toFixed(1)}`)
    .join(', ');
}

async function measure(task: ChildTask): Promise<Sample> {
  const users = task.users;
  const scenario = parseScenario(scenarioText(users), 'bench.yaml', 'yaml');
  const debugBrk = (when: string) =>
    process.env.BENCH_DEBUG &&
    console.error(`${users} users ${when}: brk ${(brkHeapBytes() / 2 ** 20).toFixed(0)} MB`);
  debugBrk('before setup');
  // Every account exists already (the parent made them), so this only looks them up.
  const setup = await runSetup(task.url, scenario.chat!.setup, LARGE, task.admin);
  debugBrk('after setup');
  const baselineRssMb = process.memoryUsage.rss() / 2 ** 20;
  const run = new Run(scenario, { target: task.url, seed: 1, chatSetup: setup });

  // Once every user is connected, hold, then sample and stop.
  let sample: Sample | undefined;
  let connectedAt: number | undefined;
  const rssReads: number[] = [];
  const cpuStart = process.cpuUsage();
  let gcPauseMs = 0;
  let fullGcs = 0;
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gcPauseMs += entry.duration;
      if (
        (entry as unknown as { detail?: { kind?: number } }).detail?.kind ===
        constants.NODE_PERFORMANCE_GC_MAJOR
      )
        fullGcs++;
    }
  });
  if (process.env.BENCH_DEBUG) gcObserver.observe({ entryTypes: ['gc'] });
  const startedAt = performance.now();
  const sampler = setInterval(() => {
    const sockets = run.chatRuntime!.openSockets;
    if (process.env.BENCH_DEBUG) {
      const m = process.memoryUsage();
      console.error(
        `sockets ${sockets} users ${run.activeUsers} rss ${(m.rss / 2 ** 20).toFixed(0)} ` +
          `brk ${(brkHeapBytes() / 2 ** 20).toFixed(0)} heapTotal ${(m.heapTotal / 2 ** 20).toFixed(0)} ` +
          `arrayBuffers ${(m.arrayBuffers / 2 ** 20).toFixed(0)}`,
      );
    }
    if (sockets < users * 0.99) return;
    connectedAt ??= performance.now();
    rssReads.push(process.memoryUsage.rss());
    if (performance.now() - connectedAt < HOLD_S * 1000) return;

    const before = process.memoryUsage();
    global.gc?.();
    const memory = process.memoryUsage();
    if (process.env.BENCH_DEBUG) {
      debugMemory(users, before, memory);
      console.error(`${users} users: GC pauses ${gcPauseMs.toFixed(0)} ms, ${fullGcs} full GCs`);
      gcObserver.disconnect();
    }
    const cpu = process.cpuUsage(cpuStart);
    const seconds = (performance.now() - startedAt) / 1000;
    sample = {
      users,
      baselineRssMb,
      sockets,
      rssMb: median(rssReads) / 2 ** 20,
      peakRssMb: Math.max(...rssReads) / 2 ** 20,
      heapMb: memory.heapUsed / 2 ** 20,
      cpuCores: (cpu.user + cpu.system) / 1e6 / seconds,
      requests: 0,
      deliveries: 0,
      lost: 0,
    };
    clearInterval(sampler);
    run.stop('completed');
  }, 1000);
  await run.execute();
  clearInterval(sampler);

  if (sample === undefined) {
    const steps = [...run.steps.values()].map(
      (s) => `${s.name} ${s.count}/${JSON.stringify(s.errors)}`,
    );
    throw new Error(`fewer than 99% of ${users} users ever connected: ${steps.join('; ')}`);
  }
  sample.requests = [...run.steps.values()].reduce((n, step) => n + step.completed, 0);
  sample.deliveries = run.chatRuntime!.delivery.counts.received;
  sample.lost = run.chatRuntime!.delivery.counts.lost;
  return sample;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Runs one size in a fresh process and returns what it measured. */
function measureInChild(task: ChildTask): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = fork(new URL(import.meta.url).pathname, [], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      env: { ...process.env, BENCH_CHILD_TASK: JSON.stringify(task) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let sample: Sample | undefined;
    child.on('message', (message: Sample) => (sample = message));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (sample !== undefined) resolve(sample);
      else reject(new Error(`the ${task.users}-user process exited with code ${code}`));
    });
  });
}

async function child(task: ChildTask): Promise<void> {
  const sample = await measure(task);
  process.send!(sample);
  process.disconnect();
}

async function main(): Promise<void> {
  console.log(`# chatload benchmark: memory and CPU of simulated chat users`);
  console.log(
    `machine: ${os.cpus()[0]?.model}, ${os.cpus().length} cores, node ${process.version}`,
  );
  console.log('warning: shared, noisy machine; rerun before trusting small differences.');

  // Cheap password hashing on the server: this measures the generator, not logins.
  const server = await launchBundledServer({ users: 1, fastPasswords: true });
  try {
    const admin = { user: server.seed.adminUsername, password: server.seed.adminPassword };
    const scenario = parseScenario(scenarioText(LARGE), 'bench.yaml', 'yaml');
    await runSetup(server.url, scenario.chat!.setup, LARGE, admin);

    const small = await measureInChild({ url: server.url, admin, users: SMALL });
    const large = await measureInChild({ url: server.url, admin, users: LARGE });

    console.log('');
    for (const s of [small, large]) {
      console.log(
        `${s.users} users: ${s.sockets} sockets open, RSS ${s.rssMb.toFixed(1)} MB ` +
          `(peak ${s.peakRssMb.toFixed(1)}, ${s.baselineRssMb.toFixed(1)} before any user), ` +
          `heap ${s.heapMb.toFixed(1)} MB, CPU ${s.cpuCores.toFixed(2)} cores, ` +
          `${s.requests} requests, ${s.deliveries} deliveries, ${s.lost} lost`,
      );
    }
    const perUserKb = ((large.rssMb - small.rssMb) * 1024) / (large.users - small.users);
    const peakPerUserKb =
      ((large.peakRssMb - small.peakRssMb) * 1024) / (large.users - small.users);
    const heapPerUserKb = ((large.heapMb - small.heapMb) * 1024) / (large.users - small.users);
    console.log(
      `marginal memory per added user: RSS ${perUserKb.toFixed(1)} KB ` +
        `(by peak RSS ${peakPerUserKb.toFixed(1)} KB), live heap ${heapPerUserKb.toFixed(1)} KB ` +
        `(target: under 20 KB RSS)`,
    );
  } finally {
    await server.stop();
  }
}

const childTask = process.env.BENCH_CHILD_TASK;
if (childTask !== undefined) await child(JSON.parse(childTask) as ChildTask);
else await main();
