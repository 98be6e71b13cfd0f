// Latency percentiles against a server whose delays the test injects and observes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './support/ground-truth-server.js';
import { percentileOf, runInline, within } from './support/run.js';

// 40% at 5 ms, 50% at 20 ms, 8% at 60 ms, 2% at 150 ms: p50, p95 and p99 each fall in the
// middle of a band, so the expected values are not on a boundary.
function delayFor(index: number): number {
  const slot = index % 50;
  if (slot < 20) return 5;
  if (slot < 45) return 20;
  if (slot < 49) return 60;
  return 150;
}

test('reported p50, p95 and p99 match what the server did, within 2% + 1 ms', async () => {
  const server = await startServer((_path, index) => ({ delayMs: delayFor(index) }));

  try {
    const { result } = await runInline(
      `
name: latency
load: { model: closed, users: 10, iterations: 60 }
flows:
  - name: only
    steps:
      - get: /probe
        name: probe
`,
      server.url,
    );

    // The ground truth is what the server did, timer jitter included.
    const observedMs = server.served.map((s) => s.answeredAt - s.arrivedAt);
    const step = result.steps[0];
    assert.equal(step.count, 600);
    assert.equal(step.errors, 0);
    assert.equal(observedMs.length, 600);
    for (const [percentile, key] of [
      [50, 'p50'],
      [95, 'p95'],
      [99, 'p99'],
    ] as const) {
      const expected = percentileOf(observedMs, percentile);
      const actual = step.latency[key];
      assert.ok(
        within(actual, expected, 0.02, 1),
        `${key}: reported ${actual} ms, the server held requests ${expected.toFixed(2)} ms`,
      );
    }
    assert.ok(step.latency.p99 >= 150, 'the injected 150 ms tail is visible at p99');
  } finally {
    await server.close();
  }
});
