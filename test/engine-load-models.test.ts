// Load models: stages are followed, iterations counted, seeds reproduce a run's choices,
// and users carry their own captured state and data rows.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from './support/ground-truth-server.js';
import { runInline } from './support/run.js';
import { tempDir } from './support/cli.js';
import { closedTargetUsers, openDueTimes } from '../src/engine/schedule.js';
import { parseScenario } from '../src/scenario/load.js';
import { Run } from '../src/engine/run.js';
import { judge } from '../src/report/gates.js';
import { viewOfRun } from '../src/report/result.js';

test('closed stages ramp users up and down, followed within a second', async () => {
  const server = await startServer(() => ({}));
  try {
    const { result } = await runInline(
      `
name: ramp
load:
  model: closed
  stages:
    - { duration: 2s, users: 20 }
    - { duration: 1s, users: 20 }
    - { duration: 2s, users: 0 }
flows: [{ name: only, steps: [{ get: /x }, { think: 50ms }] }]
`,
      server.url,
    );

    for (const point of result.timeline) {
      // The target a second earlier and now bound what the user count may be.
      const spec = result.config.load as Parameters<typeof closedTargetUsers>[0];
      const now = closedTargetUsers(spec, point.t * 1000);
      const before = closedTargetUsers(spec, Math.max(0, point.t * 1000 - 1000));
      const low = Math.min(now, before) - 1;
      const high = Math.max(now, before) + 1;
      assert.ok(
        point.users >= low && point.users <= high,
        `at ${point.t}s: ${point.users} users, the stages ask for ${before}→${now}`,
      );
    }
    const peak = Math.max(...result.timeline.map((p) => p.users));
    assert.ok(peak >= 19, `reached ${peak} users`);
  } finally {
    await server.close();
  }
});

test('the open-model schedule integrates a ramp exactly', () => {
  // 0 → 100/s over 2 s is 100 iterations; then 100/s for 1 s is 100 more.
  const load = {
    model: 'open' as const,
    startRatePerSec: 0,
    maxUsers: 10,
    stages: [
      { durationMs: 2000, ratePerSec: 100 },
      { durationMs: 1000, ratePerSec: 100 },
    ],
  };
  const due = [...openDueTimes(load)];
  assert.equal(due.length, 200);
  // Iteration k is due when the area under the ramp, 25·t², reaches k.
  assert.ok(Math.abs(due[25] - 1000) < 1e-6);
  assert.ok(Math.abs(due[100] - 2000) < 1e-6);
  assert.ok(Math.abs(due[150] - 2500) < 1e-6);
  for (let i = 1; i < due.length; i++) assert.ok(due[i] > due[i - 1]);
});

test('the same seed gives the same flow choices and think times', async () => {
  const server = await startServer(() => ({}));
  const text = `
name: seeded
load: { model: closed, users: 8, iterations: 5 }
flows:
  - { name: a, weight: 1, steps: [{ get: /a, name: a }] }
  - { name: b, weight: 2, steps: [{ get: "/b/{{ random.int(1, 1000000) }}", name: b }] }
`;
  try {
    const first = await runInline(text, server.url, 42);
    const paths1 = [...server.received.keys()].sort();
    server.received.clear();
    const second = await runInline(text, server.url, 42);
    const paths2 = [...server.received.keys()].sort();
    server.received.clear();
    await runInline(text, server.url, 7);
    const paths3 = [...server.received.keys()].sort();

    const counts = (r: typeof first) => r.result.steps.map((s) => [s.name, s.count]);
    assert.deepEqual(counts(first), counts(second));
    assert.deepEqual(paths1, paths2, 'the same random values were drawn');
    assert.notDeepEqual(paths1, paths3, 'another seed draws other values');
  } finally {
    await server.close();
  }
});

test('each user keeps its captures and its data row', async () => {
  const dir = tempDir('data');
  writeFileSync(join(dir, 'users.csv'), 'name,team\nada,red\nbob,blue\ncyd,green\n');
  let nextId = 100;
  const server = await startServer((path) =>
    path === '/login' ? { body: { token: `t${nextId++}` } } : {},
  );
  try {
    const file = join(dir, 'scenario.yaml');
    writeFileSync(
      file,
      `
name: stateful
load: { model: closed, users: 3, iterations: 2 }
data: { file: users.csv, pick: sequential }
flows:
  - name: only
    steps:
      - post: /login
        name: login
        json: { user: "{{ data.name }}" }
        capture: { token: $.token }
      - get: "/teams/{{ data.team }}/as/{{ token }}/u{{ user.index }}"
        name: team
`,
    );
    const scenario = parseScenario(readFileSync(file, 'utf8'), file, 'yaml');
    const run = new Run(scenario, { target: server.url, seed: 1 });
    await run.execute();

    const teamPaths = [...server.received.keys()].filter((p) => p.startsWith('/teams/'));
    assert.equal(teamPaths.length, 6);
    const expectedTeam = ['red', 'blue', 'green'];
    for (const path of teamPaths) {
      const match = /^\/teams\/(\w+)\/as\/t(\d+)\/u(\d)$/.exec(path);
      assert.ok(match, path);
      assert.equal(match[1], expectedTeam[Number(match[3])], `user ${match[3]} has its own row`);
    }
    // Each request used a token captured by the same user: every token appears once.
    const tokens = teamPaths.map((p) => /\/as\/(t\d+)\//.exec(p)![1]);
    assert.equal(new Set(tokens).size, 6);
  } finally {
    await server.close();
  }
});

test('--abort-on-fail: a failing threshold stops the run early', async () => {
  const server = await startServer(() => ({ status: 500 }));
  try {
    const scenario = parseScenario(
      `
name: abort
load: { model: closed, users: 2, duration: 30s }
flows: [{ name: only, steps: [{ get: /x, name: x }, { think: 20ms }] }]
thresholds: [ "errors < 1%" ]
`,
      'inline.yaml',
      'yaml',
    );
    const run = new Run(scenario, {
      target: server.url,
      seed: 1,
      shouldAbort: (r) => {
        const failed = judge(r.scenario.thresholds, viewOfRun(r)).find((v) => !v.passed);
        return failed?.expression;
      },
    });
    await run.execute();
    assert.equal(run.stopReason, 'aborted');
    assert.equal(run.abortMessage, 'errors < 1%');
    assert.ok(run.elapsedMs < 5000, `stopped after ${run.elapsedMs} ms`);
  } finally {
    await server.close();
  }
});
