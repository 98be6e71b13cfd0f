// The scenarios shipped in scenarios/ are part of the contract: they validate, and the
// syntax example runs against the kind of server it was written for.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../src/scenario/load.js';
import { createDemoServer } from '../src/server/demo-server.js';
import { runCli, tempDir } from './support/cli.js';

const SCENARIOS = fileURLToPath(new URL('../scenarios/', import.meta.url));

test('every shipped scenario validates', () => {
  const files = readdirSync(SCENARIOS).filter((f) => /\.(ya?ml|json)$/.test(f));
  assert.ok(files.length >= 3);
  for (const file of files) {
    const scenario = loadScenario(join(SCENARIOS, file));
    assert.ok(scenario.flows.length > 0, file);
  }
});

test('the syntax example runs as written (shortened) and passes its thresholds', async () => {
  const server = createDemoServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const dir = tempDir('example');
  try {
    const text = readFileSync(join(SCENARIOS, 'example.yaml'), 'utf8');
    const file = join(dir, 'example.yaml');
    writeFileSync(file, text.replace('duration: 30s', 'duration: 3s'));
    const out = join(dir, 'result.json');
    const args = ['run', file, '--target', `http://127.0.0.1:${port}`, '--out', out, '--quiet'];
    const outcome = await runCli(args, dir);

    assert.equal(outcome.code, 0, outcome.stderr + outcome.stdout);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    const names = result.steps.map((s: { name: string }) => s.name).sort();
    assert.deepEqual(names, ['create', 'item', 'read-back']);
    for (const step of result.steps) assert.ok(step.count > 0, step.name);
    assert.equal(result.totals.errors, 0);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
