// One run spread over worker threads (`--workers`) and over processes (`--shard`, as a
// Kubernetes Indexed Job starts them), checked against a server that knows, for every
// request, which user sent it and what it did with it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type GroundTruthServer } from './support/ground-truth-server.js';
import { runCli, tempDir, type CliOutcome } from './support/cli.js';
import { decodeHistogram, mergeHistograms, type Histogram } from '../src/metrics/histogram.js';
import type { ResultDocument } from '../src/report/result.js';
import { launchBundledServer } from '../src/server/launch.js';
import { adminCall, fanOutScenario } from './support/chat.js';

const USERS = 12;
// Enough iterations that the first ones, slowed while each worker warms up, weigh little.
const ITERATIONS = 20;
// (user, iteration) pairs whose request is never answered: each stalls, then the 1 s
// request timeout ends it and the user goes on. Which ones stall is fixed by the scenario,
// not by timing.
const NEVER_ANSWERED = new Set(['3/2', '8/4', '11/0']);

function expectedRequests(): number {
  return USERS * ITERATIONS;
}

/** The server's delay for each request: 5–45 ms, from who sent it. */
function delayFor(user: number, iteration: number): number {
  return 5 + ((user * 7 + iteration * 13) % 41);
}

function scriptedServer(): Promise<GroundTruthServer & { users: Map<number, number> }> {
  const users = new Map<number, number>();
  return startServer((path) => {
    const url = new URL(path, 'http://x');
    const user = Number(url.searchParams.get('u'));
    const iteration = Number(url.searchParams.get('i'));
    users.set(user, (users.get(user) ?? 0) + 1);
    if (NEVER_ANSWERED.has(`${user}/${iteration}`)) return { stall: true };
    return { delayMs: delayFor(user, iteration) };
  }).then((server) => Object.assign(server, { users }));
}

function writeScenario(
  dir: string,
  target: string,
  load = `{ model: closed, users: ${USERS}, iterations: ${ITERATIONS} }`,
) {
  const file = join(dir, 'split.yaml');
  writeFileSync(
    file,
    `
name: split
target: ${target}
load: ${load}
timeouts: { stall: 400ms, request: 1s, grace: 700ms }
flows:
  - name: only
    steps:
      - get: "/work?u={{ user.index }}&i={{ iteration }}"
        name: work
      - think: 10ms
`,
  );
  return file;
}

function readResult(path: string): ResultDocument {
  return JSON.parse(readFileSync(path, 'utf8')) as ResultDocument;
}

function assertNear(actual: number, expected: number, label: string): void {
  const tolerance = expected * 0.05 + 3;
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${label}: ${actual} ms, expected ${expected} ± ${tolerance.toFixed(1)} ms`,
  );
}

test('1 worker and 2 workers: the same requests and stalls exactly, the same latency', async () => {
  const dir = tempDir('workers');
  const results: ResultDocument[] = [];
  const truths: Histogram[] = [];
  for (const workers of ['1', '2']) {
    const server = await scriptedServer();
    try {
      const scenario = writeScenario(dir, server.url);
      const out = join(dir, `w${workers}.json`);
      const outcome = await runCli(
        ['run', scenario, '--workers', workers, '--seed', '5', '--quiet', '--out', out],
        dir,
      );
      assert.equal(outcome.code, 0, outcome.stderr);
      const result = readResult(out);
      results.push(result);

      // The server saw every user exactly as many times as the scenario says.
      assert.equal(server.served.length + NEVER_ANSWERED.size, expectedRequests());
      assert.deepEqual(
        [...server.users.keys()].sort((a, b) => a - b),
        [...Array(USERS).keys()],
      );
      assert.equal(result.workers?.count, Number(workers));
      assert.deepEqual(result.workers?.failures, []);

      const truth = mergeHistograms([]);
      for (const served of server.served) {
        truth.recordValue(Math.round((served.answeredAt - served.arrivedAt) * 1000));
      }
      for (let i = 0; i < NEVER_ANSWERED.size; i++) truth.recordValue(1_000_000);
      truths.push(truth);
    } finally {
      await server.close();
    }
  }

  const [one, two] = results;
  for (const result of results) {
    assert.equal(result.totals.requests, expectedRequests());
    assert.equal(result.totals.completed, expectedRequests());
    assert.equal(result.totals.errorsByClass.timeout, NEVER_ANSWERED.size);
    assert.equal(result.totals.stalled, NEVER_ANSWERED.size);
    assert.equal(result.totals.stalls.timedOut, NEVER_ANSWERED.size);
    assert.equal(result.stalls.list.length, NEVER_ANSWERED.size);
    assert.deepEqual(
      result.stalls.list.map((stall) => stall.userIndex).sort((a, b) => a - b),
      [3, 8, 11],
      'stalls are named by the user that sent them, whichever worker ran it',
    );
    assert.equal(result.run.iterationsStarted, one.run.iterationsStarted);
  }

  // Latency: each run against the service times its server measured (the three timed-out
  // requests sit above p90). 5% + 3 ms is far above HDR's 0.1% and below any real error.
  for (const [label, result, truth] of [
    ['1 worker', one, truths[0]],
    ['2 workers', two, truths[1]],
  ] as const) {
    const service = result.steps[0].service;
    assertNear(service.p50, truth.getValueAtPercentile(50) / 1000, `${label} p50`);
    assertNear(service.p90, truth.getValueAtPercentile(90) / 1000, `${label} p90`);
  }
  assertNear(two.totals.latency.p50, one.totals.latency.p50, '2 workers against 1, p50');
});

test('shards run as an Indexed Job would run them merge into the exact whole', async () => {
  const dir = tempDir('shards');
  const server = await scriptedServer();
  const shards = 3;
  try {
    const scenario = writeScenario(dir, server.url);
    const runs: Promise<CliOutcome>[] = [];
    for (let index = 0; index < shards; index++) {
      const out = join(dir, `shard-${index}.json`);
      runs.push(
        runCli(['run', scenario, '--shard', 'auto', '--seed', '5', '--quiet', '--out', out], dir, {
          JOB_COMPLETION_INDEX: String(index),
          CHATLOAD_SHARDS: String(shards),
        }),
      );
    }
    const outcomes = await Promise.all(runs);
    for (const outcome of outcomes) assert.equal(outcome.code, 0, outcome.stderr);
    const parts = [...Array(shards).keys()].map((i) => readResult(join(dir, `shard-${i}.json`)));
    parts.forEach((part, i) => assert.deepEqual(part.shard, { index: i + 1, count: shards }));

    // Each shard ran its own users; together, every user once.
    const users = parts.flatMap((part) => part.stalls.list.map((stall) => stall.userIndex));
    assert.deepEqual(
      users.sort((a, b) => a - b),
      [3, 8, 11],
    );
    assert.deepEqual(
      [...server.users.keys()].sort((a, b) => a - b),
      [...Array(USERS).keys()],
    );

    const merged = join(dir, 'merged.json');
    const outcome = await runCli(
      ['merge', ...parts.map((_, i) => join(dir, `shard-${i}.json`)), '-o', merged],
      dir,
    );
    assert.equal(outcome.code, 0, outcome.stderr);
    const whole = readResult(merged);
    assert.equal(whole.totals.requests, expectedRequests());
    assert.equal(whole.totals.completed, server.served.length + NEVER_ANSWERED.size);
    assert.equal(whole.totals.stalled, NEVER_ANSWERED.size);
    assert.deepEqual(whole.merged?.missingShards, []);

    // The merged histogram is the sum of the shards' histograms, bucket for bucket.
    for (const kind of ['latency', 'service'] as const) {
      const sum = mergeHistograms(
        parts.map((part) => decodeHistogram(part.histograms.steps.work[kind])),
      );
      const mergedHistogram = decodeHistogram(whole.histograms.steps.work[kind]);
      assert.equal(mergedHistogram.totalCount, sum.totalCount);
      for (const percentile of [50, 90, 99, 99.9, 100]) {
        assert.equal(
          mergedHistogram.getValueAtPercentile(percentile),
          sum.getValueAtPercentile(percentile),
          `${kind} p${percentile}`,
        );
      }
    }
  } finally {
    await server.close();
  }
});

test('the open model splits its arrivals over workers without losing or repeating one', async () => {
  const dir = tempDir('open-workers');
  const server = await scriptedServer();
  try {
    const arrivals = 40;
    const scenario = writeScenario(
      dir,
      server.url,
      `{ model: open, rate: 80/s, maxUsers: 50, iterations: ${arrivals} }`,
    );
    const out = join(dir, 'open.json');
    const outcome = await runCli(
      ['run', scenario, '--workers', '3', '--seed', '5', '--quiet', '--out', out],
      dir,
    );
    const result = readResult(out);
    // In the open model each arrival is its own user: index = its place in the schedule.
    assert.equal(result.run.iterationsStarted, arrivals);
    assert.equal(result.totals.requests, arrivals);
    assert.deepEqual(
      [...server.users.keys()].sort((a, b) => a - b),
      [...Array(arrivals).keys()],
    );
    assert.ok([0, 1].includes(outcome.code ?? -1), outcome.stderr);
  } finally {
    await server.close();
  }
});

test('a worker that dies is reported with its share, and the others keep their data', async () => {
  const dir = tempDir('worker-crash');
  const server = await scriptedServer();
  try {
    const scenario = writeScenario(dir, server.url, '{ model: closed, users: 4, duration: 3s }');
    const out = join(dir, 'crash.json');
    const outcome = await runCli(
      [
        'run',
        scenario,
        '--workers',
        '2',
        '--on-worker-failure',
        'continue',
        '--seed',
        '5',
        '--quiet',
        '--out',
        out,
      ],
      dir,
      { CHATLOAD_TEST_WORKER_CRASH: '1:1500' },
    );
    assert.equal(outcome.code, 1, 'a run that lost a worker never passes');
    assert.match(outcome.stderr, /worker 2 of 2 failed \(carrying 2 users \(indexes 2–3\)\)/);

    const result = readResult(out);
    const [failure] = result.workers!.failures;
    assert.equal(result.workers!.failures.length, 1);
    assert.equal(failure.worker, 2);
    assert.equal(failure.share, '2 users (indexes 2–3)');
    assert.match(failure.error, /crashed on purpose/);
    assert.ok(failure.atMs >= 1000 && failure.atMs < 3000, `failed at ${failure.atMs} ms`);

    // Worker 1 (users 0 and 1) ran the whole run, and all of it is in the result.
    const survivors = (server.users.get(0) ?? 0) + (server.users.get(1) ?? 0);
    assert.ok(survivors > 0);
    const stalledBySurvivors = result.stalls.list.filter((stall) => stall.userIndex < 2).length;
    assert.equal(result.totals.requests, survivors);
    assert.equal(result.totals.stalled, stalledBySurvivors);
    assert.equal(result.run.stopReason, 'completed');
  } finally {
    await server.close();
  }
});

test('chat delivery is matched across workers: lost equals what the server dropped', async () => {
  const server = await launchBundledServer({ users: 1, faults: ['drop-events:0.3'] });
  const dir = tempDir('chat-workers');
  try {
    const users = 10;
    const file = join(dir, 'fan-out.yaml');
    writeFileSync(file, fanOutScenario(users, 'w'));
    const out = join(dir, 'chat.json');
    const outcome = await runCli(
      [
        'run',
        file,
        '--workers',
        '2',
        '--target',
        server.url,
        '--admin-user',
        server.seed.adminUsername,
        '--admin-password',
        server.seed.adminPassword,
        '--quiet',
        '--out',
        out,
      ],
      dir,
    );
    assert.equal(outcome.code, 0, outcome.stderr);
    const delivery = readResult(out).delivery!;
    const { json } = await adminCall(server, 'GET', '/chatload/faults');

    // Every user's post went to all ten sockets, five in each worker.
    assert.equal(delivery.posts, users);
    assert.equal(delivery.expected, users * users);
    assert.ok(json.counters.postedDropped > 0, 'the fault dropped some posted events');
    assert.equal(delivery.lost, json.counters.postedDropped, JSON.stringify(json.counters));
    assert.equal(delivery.received + delivery.lost, delivery.expected);
    assert.equal(
      decodeHistogram(readResult(out).delivery!.histogram).totalCount,
      delivery.received,
    );
  } finally {
    await server.stop();
  }
});
