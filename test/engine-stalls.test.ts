// Stalls and freezes: requests that never come back are counted, named and listed; slow
// requests under the limit are not stalled; a period with no completions is a freeze.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startServer } from './support/ground-truth-server.js';
import { runInline, within } from './support/run.js';

test('exactly the requests that never answer are stalled, named by step', async () => {
  // On /a, the 5th, 15th and 25th arrivals never get an answer. On /b, two arrivals take
  // 800 ms (over the 500 ms limit, so stalled then recovered) and one takes 300 ms (slow,
  // but under the limit). Everything else answers at once.
  const neverAnswered = new Set([5, 15, 25]);
  const arrivals = new Map<string, number>();
  const server = await startServer((path) => {
    const nth = (arrivals.get(path) ?? 0) + 1;
    arrivals.set(path, nth);
    if (path === '/a' && neverAnswered.has(nth)) return { stall: true };
    if (path === '/b' && (nth === 10 || nth === 20)) return { delayMs: 800 };
    if (path === '/b' && nth === 7) return { delayMs: 300 };
    return {};
  });

  try {
    const { result } = await runInline(
      `
name: stalls
load: { model: closed, users: 6, duration: 3s }
timeouts: { stall: 500ms, grace: 300ms }
flows:
  - name: only
    steps:
      - get: /a
        name: step-a
      - think: 20ms
      - get: /b
        name: step-b
      - think: 20ms
`,
      server.url,
    );

    const a = result.steps.find((s) => s.name === 'step-a')!;
    const b = result.steps.find((s) => s.name === 'step-b')!;
    assert.equal(a.stalled, 3);
    assert.deepEqual(a.stalls, { recovered: 0, timedOut: 0, neverCompleted: 3 });
    assert.equal(b.stalled, 2);
    assert.deepEqual(b.stalls, { recovered: 2, timedOut: 0, neverCompleted: 0 });
    assert.equal(result.totals.stalled, 5);

    // Recovered stalls keep their full duration in the histogram.
    assert.ok(b.latency.max >= 800, `step-b max ${b.latency.max} ms includes the 800 ms ones`);

    // The list names each one: step, user, when it was sent, how long it was out.
    const list = result.stalls.list;
    assert.equal(list.length, 5);
    assert.deepEqual(
      list.filter((s) => s.step === 'step-a').map((s) => s.outcome),
      ['never-completed', 'never-completed', 'never-completed'],
    );
    for (const stall of list) {
      assert.ok(stall.ageMs > 500, `a listed stall is older than the limit (${stall.ageMs} ms)`);
      assert.ok(stall.userIndex >= 0 && stall.userIndex < 6);
    }
    // Users stuck on a stalled request stay stuck: the other users carry on.
    assert.ok(a.count > 25, 'the run went on past the stalls');
  } finally {
    await server.close();
  }
});

test('a stall that the periodic scan could miss is still counted when it completes', async () => {
  // 520 ms against a 500 ms limit: the request may complete between two scans.
  const server = await startServer((_path, index) => (index === 3 ? { delayMs: 520 } : {}));
  try {
    const { result } = await runInline(
      `
name: edge
load: { model: closed, users: 1, iterations: 6 }
timeouts: { stall: 500ms }
flows: [{ name: only, steps: [{ get: /x, name: x }] }]
`,
      server.url,
    );
    assert.equal(result.steps[0].stalled, 1);
    assert.equal(result.steps[0].stalls.recovered, 1);
  } finally {
    await server.close();
  }
});

test('a freeze is reported with its length within 250 ms', async () => {
  // Every request that arrives during a 1.5 s window is held until the window closes, so
  // no request completes for the whole window.
  const window = { start: Infinity, end: Infinity };
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const server = await startServer(() => {
    const now = performance.now();
    return now >= window.start && now < window.end ? { holdUntil: released } : {};
  });

  try {
    const started = runInline(
      `
name: freeze
load: { model: closed, users: 10, duration: 4s }
timeouts: { stall: 500ms }
flows: [{ name: only, steps: [{ get: /x, name: x }, { think: 10ms }] }]
`,
      server.url,
    );
    window.start = performance.now() + 1000;
    window.end = window.start + 1500;
    setTimeout(() => release(), window.end - performance.now());

    const { result } = await started;
    assert.equal(result.freezes.length, 1, JSON.stringify(result.freezes));
    const freeze = result.freezes[0];
    const trueLengthMs = 1500;
    assert.ok(
      within(freeze.lengthMs, trueLengthMs, 0, 250),
      `freeze of ${freeze.lengthMs} ms; the server held everything for ${trueLengthMs} ms`,
    );
    assert.ok(within(freeze.startMs, 1000, 0, 250), `freeze starts at ${freeze.startMs} ms`);
    assert.equal(freeze.requestsHeld, 10, 'all ten users were waiting');
  } finally {
    await server.close();
  }
});
