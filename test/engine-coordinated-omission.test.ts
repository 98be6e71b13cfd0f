// Coordinated omission: a server pause must show in the percentiles, whatever limits the
// generator. The server holds every request that arrives during a 1 s window; requests
// due in that window must count their latency from when they were due, or be dropped.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startServer } from './support/ground-truth-server.js';
import { percentileOf, runInline, within } from './support/run.js';
import { decodeHistogram } from '../src/metrics/histogram.js';

const RATE_PER_SEC = 100;
const HOLD_FROM_MS = 1500;
const HOLD_MS = 1000;

/** A server that holds everything arriving in [holdStart, holdEnd) until holdEnd. */
async function pausingServer() {
  const window = { start: Infinity, end: Infinity };
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = await startServer(() => {
    const now = performance.now();
    if (now >= window.start && now < window.end) return { holdUntil: released };
    return {};
  });
  const arm = (runStartedAt: number) => {
    window.start = runStartedAt + HOLD_FROM_MS;
    window.end = window.start + HOLD_MS;
    setTimeout(() => {
      window.end = performance.now();
      release();
    }, window.end - performance.now());
  };
  return { server, window, arm };
}

function scenario(extra: string) {
  return `
name: co
load: { model: open, rate: ${RATE_PER_SEC}/s, duration: 4s, maxUsers: 1000 }
${extra}
flows:
  - name: only
    steps:
      - get: /tick
        name: tick
`;
}

/** Latency each iteration should report if it is measured from when it was due. */
function expectedLatencies(runStartedAt: number, window: { start: number; end: number }) {
  const latencies: number[] = [];
  for (let k = 0; k < RATE_PER_SEC * 4; k++) {
    const dueAt = runStartedAt + (k * 1000) / RATE_PER_SEC;
    latencies.push(dueAt >= window.start && dueAt < window.end ? window.end - dueAt : 0);
  }
  return latencies;
}

async function runAgainstPause(extra: string, maxUsers = 1000) {
  const { server, window, arm } = await pausingServer();
  try {
    const text = scenario(extra).replace('maxUsers: 1000', `maxUsers: ${maxUsers}`);
    const started = runInline(text, server.url);
    arm(performance.now());
    const { run, result } = await started;
    return { run, result, expected: expectedLatencies(run.startedAt, window) };
  } finally {
    await server.close();
  }
}

test('open model: p99 matches the schedule, not a late start', async () => {
  const { result, expected } = await runAgainstPause('');
  const step = result.steps[0];

  assert.equal(result.totals.dropped, 0);
  assert.equal(step.count, expected.length);
  const expectedP99 = percentileOf(expected, 99);
  assert.ok(expectedP99 > 900, 'the schedule puts the pause in the top percentile');
  assert.ok(
    within(step.latency.p99, expectedP99, 0.05, 25),
    `p99 ${step.latency.p99} ms, the schedule says ${expectedP99.toFixed(1)} ms`,
  );
  const expectedP90 = percentileOf(expected, 90);
  assert.ok(
    within(step.latency.p90, expectedP90, 0.05, 25),
    `p90 ${step.latency.p90} ms, the schedule says ${expectedP90.toFixed(1)} ms`,
  );
});

test('a small connection pool does not hide the pause: queueing counts as latency', async () => {
  const { result, expected } = await runAgainstPause('http: { connections: 4 }');
  const step = result.steps[0];

  assert.equal(result.totals.dropped, 0);
  assert.equal(step.count, expected.length);
  const expectedP99 = percentileOf(expected, 99);
  assert.ok(
    step.latency.p99 >= expectedP99 * 0.95 - 25,
    `p99 ${step.latency.p99} ms must not be below the schedule's ${expectedP99.toFixed(1)} ms`,
  );
});

test('a users cap turns the pause into drops, never into short latencies', async () => {
  const cap = 20;
  const { result, expected } = await runAgainstPause('', cap);
  const step = result.steps[0];

  // Every scheduled iteration is accounted for: sent or dropped.
  assert.equal(step.count + result.totals.dropped, expected.length);
  assert.ok(result.totals.dropped > 0, 'iterations due while the cap was full are dropped');

  // The users held by the pause waited until its end, measured from when they were due:
  // the slowest (cap - 2) requests all show at least half the pause.
  const histogram = decodeHistogram(result.histograms.steps.tick.latency);
  const percentile = 100 * (1 - (cap - 2) / step.count);
  const valueMs = histogram.getValueAtPercentile(percentile) / 1000;
  assert.ok(valueMs >= HOLD_MS / 2, `p${percentile.toFixed(2)} is ${valueMs} ms`);
  assert.ok(step.latency.max >= HOLD_MS * 0.75, `max ${step.latency.max} ms shows the pause`);
});

test('a pause in the generator itself is counted from when requests were due', async () => {
  const server = await startServer(() => ({}));
  try {
    const started = runInline(scenario(''), server.url);
    const runStartedAt = performance.now();

    // Block this process's event loop for 500 ms, as a long GC pause would: nothing can be
    // sent meanwhile, so the iterations due in that time start late.
    const blockAt = runStartedAt + 1500;
    setTimeout(() => {
      const until = performance.now() + 500;
      while (performance.now() < until);
    }, blockAt - performance.now());

    const { result } = await started;
    const step = result.steps[0];
    assert.equal(step.count, RATE_PER_SEC * 4);
    assert.ok(step.latency.max >= 450, `max ${step.latency.max} ms shows the 500 ms block`);
    assert.ok(step.latency.p99 >= 350, `p99 ${step.latency.p99} ms: ~50 requests were late`);
    assert.ok(step.service.p99 < step.latency.p99, 'the service time alone would hide it');
  } finally {
    await server.close();
  }
});
