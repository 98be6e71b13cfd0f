// The concurrency sweep and its Universal Scalability Law fit, against servers whose
// contention and coherency costs the test sets (see test/support/lock-server.ts).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUsersList } from '../src/capacity/levels.js';
import { runSweep } from '../src/capacity/sweep.js';
import { fitUsl, uslThroughput } from '../src/capacity/usl.js';
import { UsageError } from '../src/cli/exit-codes.js';
import { parseScenario } from '../src/scenario/load.js';
import { startLockServer } from './support/lock-server.js';

const SCENARIO = `
name: sweep-test
load: { model: closed, users: 1, duration: 1s }
flows:
  - name: worker
    steps:
      - get: /work
        name: work
`;
const LEVELS = [1, 2, 4, 8, 16, 32];
// Short holds keep the test quick; the servers are deterministic enough to be steady fast.
const RULE = { minHoldMs: 1500, maxHoldMs: 4000, sampleMs: 500, window: 3, maxCv: 0.15 };

test('the fit recovers the parameters of an exact USL curve', () => {
  const truth = { sigma: 0.08, kappa: 0.0005, lambda: 120 };
  const points = [1, 2, 4, 8, 16, 32, 64, 128].map((users) => ({
    users,
    throughput: uslThroughput(users, truth),
  }));
  const fit = fitUsl(points);
  assert.ok(Math.abs(fit.sigma - truth.sigma) < 1e-3, `σ ${fit.sigma}`);
  assert.ok(Math.abs(fit.kappa - truth.kappa) / truth.kappa < 0.01, `κ ${fit.kappa}`);
  assert.ok(Math.abs(fit.lambda - truth.lambda) / truth.lambda < 0.01, `λ ${fit.lambda}`);
  assert.ok(Math.abs(fit.peakUsers! - Math.sqrt((1 - 0.08) / 0.0005)) < 0.5);
  assert.equal(fit.retrograde, true);
});

test('a serial section gives the contention it implies and no peak', async () => {
  // Every request: 30 ms of parallel work, then 10 ms under a stop-the-world lock. One
  // cycle of N requests takes P + N·S, which is Amdahl's law with σ = S / (S + P) = 0.25
  // and κ = 0. Timer lateness adds about 1 ms to both phases and the HTTP round trip a
  // little to the parallel one, which moves σ by about ±0.01; the tolerance of ±0.05
  // leaves room for a busy machine and no more.
  const server = await startLockServer({ serialMs: 10, parallelMs: 30 });
  try {
    const sweep = await runSweep(parseScenario(SCENARIO, 'inline.yaml', 'yaml'), {
      levels: LEVELS,
      target: server.url,
      seed: 1,
      rule: RULE,
    });
    const fit = sweep.fit!;
    assert.ok(Math.abs(fit.sigma - 0.25) <= 0.05, `σ ${fit.sigma}, expected 0.25 ± 0.05`);
    assert.ok(fit.kappa < 0.002, `κ ${fit.kappa}, expected about 0`);
    assert.equal(fit.retrograde, false);
    assert.deepEqual(sweep.series.users, LEVELS);
    assert.equal(sweep.levels.length, LEVELS.length);
    assert.ok(sweep.levels.every((level) => level.errors === 0 && level.stalled === 0));
  } finally {
    await server.close();
  }
});

test('a coherency cost gives κ > 0, a peak inside the range and retrograde scaling', async () => {
  // 35 ms parallel, 5 ms locked, plus 1 ms of locked time per other request in the server:
  // a cycle takes P + N·S + N(N−1)·C, so κ = C / (P + S) = 0.025 and σ = 0.125, with the
  // peak at N* = sqrt((1 − σ) / κ) ≈ 5.9 users, well inside 1..32.
  const server = await startLockServer({ serialMs: 5, parallelMs: 35, coherencyMs: 1 });
  try {
    const sweep = await runSweep(parseScenario(SCENARIO, 'inline.yaml', 'yaml'), {
      levels: LEVELS,
      target: server.url,
      seed: 1,
      rule: RULE,
    });
    const fit = sweep.fit!;
    assert.ok(fit.kappa > 0.0125 && fit.kappa < 0.05, `κ ${fit.kappa}, expected about 0.025`);
    assert.equal(fit.retrograde, true);
    assert.ok(fit.peakUsers! > 3 && fit.peakUsers! < 12, `N* ${fit.peakUsers}`);
  } finally {
    await server.close();
  }
});

test('user levels parse from lists and ranges, and mistakes are named', () => {
  assert.deepEqual(parseUsersList('1,2,4,8'), [1, 2, 4, 8]);
  assert.deepEqual(parseUsersList('1..512x2'), [1, 2, 4, 8, 16, 32, 64, 128, 256, 512]);
  assert.deepEqual(parseUsersList('10..40+10'), [10, 20, 30, 40]);
  assert.throws(() => parseUsersList('1,2,x'), /item 3 of "1,2,x".*found "x"/);
  assert.throws(() => parseUsersList('4,2'), /expected rising levels, found 2 after 4/);
  assert.throws(() => parseUsersList('8..2x2'), UsageError);
});
