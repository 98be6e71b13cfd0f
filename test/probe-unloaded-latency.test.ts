// `probe` measures each step alone, and a run under load reports its latency inflation.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyProbeBaseline } from '../src/capacity/inflation.js';
import { PROBE_SCHEMA, probe } from '../src/capacity/probe.js';
import { parseScenario } from '../src/scenario/load.js';
import { tempDir } from './support/cli.js';
import { startServer } from './support/ground-truth-server.js';
import { runInline } from './support/run.js';

// `read-back` needs the id that `create` captures: the probe must run the flow in order.
const SCENARIO = `
name: probe-test
load: { model: closed, users: 1, duration: 1s }
flows:
  - name: writer
    steps:
      - post: /items
        name: create
        json: { title: hi }
        capture: { id: $.id }
      - get: /items/{{ id }}
        name: read-back
        expect: { status: 200 }
`;

test('each step is timed alone, and loaded p50 over unloaded p50 is the inflation', async () => {
  let inFlight = 0;
  const server = await startServer((path) => {
    // Alone, create takes 10 ms and read-back 5 ms; each request in flight adds 5 ms more,
    // so under load the latency inflates by a factor the test can predict roughly.
    const extraMs = 5 * inFlight;
    inFlight++;
    setTimeout(() => inFlight--, (path === '/items' ? 10 : 5) + extraMs);
    if (path === '/items') return { delayMs: 10 + extraMs, body: { id: 42 } };
    return { delayMs: 5 + extraMs, status: path === '/items/42' ? 200 : 404 };
  });
  try {
    const scenario = parseScenario(SCENARIO, 'inline.yaml', 'yaml');
    const doc = await probe(scenario, { target: server.url, iterations: 30, seed: 1 });
    assert.equal(doc.schema, PROBE_SCHEMA);
    const [create, readBack] = doc.probe.steps;
    assert.equal(create.name, 'create');
    assert.equal(readBack.name, 'read-back');
    assert.equal(readBack.errors, 0, 'read-back found the captured id');
    assert.ok(create.samples >= 30);
    assert.ok(create.p50 >= 10 && create.p50 < 16, `create p50 ${create.p50}`);
    assert.ok(readBack.p50 >= 5 && readBack.p50 < 11, `read-back p50 ${readBack.p50}`);

    const dir = tempDir('probe');
    const probePath = join(dir, 'probe.json');
    writeFileSync(probePath, JSON.stringify(doc));
    const loaded = await runInline(
      SCENARIO.replace('users: 1, duration: 1s', 'users: 6, duration: 2s'),
      server.url,
    );
    const { result, text } = applyProbeBaseline(loaded.result, probePath);
    const createInflation = result.inflation.steps.find((s) => s.step === 'create')!;
    assert.equal(createInflation.unloadedP50, create.p50);
    assert.equal(createInflation.loadedP50, loaded.result.steps[0].latency.p50);
    // Six users keep about five others in flight: +25 ms on 10 ms, so well over 1.5x.
    assert.ok(createInflation.inflation! > 1.5, `inflation ${createInflation.inflation}`);
    assert.match(text, /│ create\s+│\s+[\d.]+ms │\s+[\d.]+ms │\s+[\d.]+x │/);
  } finally {
    await server.close();
  }
});
