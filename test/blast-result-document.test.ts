// `blast` writes a result document that the rest of chatload reads like a run's.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blast } from '../src/capacity/blast.js';
import { compareResults } from '../src/compare/compare.js';
import { decodeHistogram } from '../src/metrics/histogram.js';
import { judge } from '../src/report/gates.js';
import { RESULT_SCHEMA, viewOfResult } from '../src/report/result.js';
import { parseThreshold } from '../src/scenario/threshold.js';
import { startServer } from './support/ground-truth-server.js';

test('a blast becomes a result document with latency, error classes and a timeline', async () => {
  // /ok answers after 20 ms; every tenth request to it fails with a 503.
  const server = await startServer((_path, index) => ({
    delayMs: 20,
    status: index % 10 === 9 ? 503 : 200,
  }));
  try {
    const options = {
      url: `${server.url}/ok?x=1`,
      connections: 4,
      durationMs: 2000,
      method: 'GET' as const,
      headers: { 'x-test': 'blast' },
      timeoutMs: 5000,
    };
    const result = await blast(options);

    assert.equal(result.schema, RESULT_SCHEMA);
    assert.equal(result.steps.length, 1);
    const step = result.steps[0];
    assert.equal(step.name, 'GET /ok?x=1');

    const served = server.served.length;
    assert.ok(Math.abs(step.completed - served) <= 4, `${step.completed} vs ${served} served`);
    // Four connections, 20 ms each: about 200 requests a second, less the round trip.
    assert.ok(step.rps > 120 && step.rps < 210, `rps ${step.rps}`);
    assert.ok(step.latency.p50 >= 20 && step.latency.p50 < 30, `p50 ${step.latency.p50}`);
    const failures = server.served.filter((s) => s.index % 10 === 9).length;
    assert.ok(Math.abs(step.errorsByClass.http5xx - failures) <= 4);
    assert.equal(step.errors, step.errorsByClass.http5xx);

    const histogram = decodeHistogram(result.histograms.steps[step.name].latency);
    assert.equal(histogram.totalCount, step.completed);
    assert.ok(result.timeline.length >= 2);
    assert.equal(
      result.timeline.reduce((sum, p) => sum + p.requests, 0),
      step.completed,
    );

    // Gates and compare take it as they take a run.
    const [verdict] = judge([parseThreshold('p50 < 1s')], viewOfResult(result));
    assert.equal(verdict.passed, true);
    const again = await blast(options);
    const comparison = compareResults(result, again, { maxRegression: 'p50=50%' });
    assert.equal(comparison.metrics.length, 1);
    assert.equal(comparison.metrics[0].verdict === 'regressed', false);
  } finally {
    await server.close();
  }
});
