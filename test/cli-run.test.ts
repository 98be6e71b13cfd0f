// The command line as users and CI scripts meet it: exit codes, where output goes, what is
// written to disk, and what happens on Ctrl-C and SIGKILL.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startServer } from './support/ground-truth-server.js';
import { runCli, startCli, tempDir } from './support/cli.js';

function writeScenario(dir: string, body: string): string {
  const file = join(dir, 'scenario.yaml');
  writeFileSync(file, body);
  return file;
}

const QUICK = `
name: quick
load: { model: closed, users: 4, duration: 2s }
timeouts: { stall: 1s, grace: 500ms }
flows:
  - name: only
    steps:
      - get: /ping
        name: ping
      - think: 10ms
`;

test('thresholds that pass exit 0 and write the result document', async () => {
  const server = await startServer(() => ({ delayMs: 2 }));
  const dir = tempDir('pass');
  try {
    const file = writeScenario(dir, `${QUICK}thresholds: [ "p99 < 1s", "stalled == 0" ]\n`);
    const out = join(dir, 'result.json');
    const outcome = await runCli(['run', file, '--target', server.url, '--out', out], dir);

    assert.equal(outcome.code, 0, outcome.stderr);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(result.schema, 'chatload/result/v1');
    assert.ok(result.totals.requests > 0);
    assert.deepEqual(
      result.thresholds.map((t: { passed: boolean }) => t.passed),
      [true, true],
    );
    assert.match(outcome.stdout, /ping/);
    assert.match(outcome.stdout, /p99 < 1s/);
    assert.ok(existsSync(join(dir, 'result.timeline.ndjson')));
  } finally {
    await server.close();
  }
});

test('a failed threshold exits 1, after the results are written', async () => {
  const server = await startServer(() => ({ delayMs: 20 }));
  const dir = tempDir('fail');
  try {
    const file = writeScenario(dir, QUICK);
    const out = join(dir, 'result.json');
    const outcome = await runCli(
      ['run', file, '--target', server.url, '--out', out, '--threshold', 'p50(ping) < 5ms'],
      dir,
    );

    assert.equal(outcome.code, 1, outcome.stderr);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(result.thresholds[0].passed, false);
    assert.ok(result.thresholds[0].actual >= 20);
    assert.match(outcome.stdout, /FAIL/);
  } finally {
    await server.close();
  }
});

test('--json prints the document on stdout; progress stays on stderr', async () => {
  const server = await startServer(() => ({}));
  const dir = tempDir('json');
  try {
    const file = writeScenario(dir, QUICK);
    const outcome = await runCli(['run', file, '--target', server.url, '--json'], dir);

    assert.equal(outcome.code, 0, outcome.stderr);
    const result = JSON.parse(outcome.stdout);
    assert.equal(result.scenario.name, 'quick');
    assert.match(outcome.stderr, /results written to results[/\\]quick-\d{8}T\d{6}Z\.json/);
  } finally {
    await server.close();
  }
});

test('a bad threshold flag is a usage error with a caret; nothing is sent', async () => {
  const server = await startServer(() => ({}));
  const dir = tempDir('usage');
  try {
    const file = writeScenario(dir, QUICK);
    const outcome = await runCli(
      ['run', file, '--target', server.url, '--threshold', 'p99(ping) < fast'],
      dir,
    );

    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /--threshold/);
    assert.match(outcome.stderr, /\n\s+\^/, 'a caret marks the column');
    assert.equal(server.served.length + server.received.size, 0);
  } finally {
    await server.close();
  }
});

test('a bad scenario exits 2 with file, line and column, and sends nothing', async () => {
  const server = await startServer(() => ({}));
  const dir = tempDir('bad');
  try {
    const file = writeScenario(
      dir,
      `name: bad\nload: { model: closed, users: 2, duration: 1s }\nflows:\n` +
        `  - name: only\n    steps:\n      - get: /x\n        expect: { status: ok }\n`,
    );
    const run = await runCli(['run', file, '--target', server.url], dir);
    const validate = await runCli(['validate', file], dir);

    for (const outcome of [run, validate]) {
      assert.equal(outcome.code, 2);
      assert.match(outcome.stderr, /scenario\.yaml:7:\d+ /);
      assert.match(outcome.stderr, /status/);
    }
    assert.equal(server.received.size, 0);
  } finally {
    await server.close();
  }
});

test('Ctrl-C stops the run, prints the summary, writes results and exits 130', async () => {
  const server = await startServer(() => ({ delayMs: 5 }));
  const dir = tempDir('sigint');
  try {
    const file = writeScenario(dir, QUICK.replace('duration: 2s', 'duration: 60s'));
    const out = join(dir, 'result.json');
    const { child, done } = startCli(['run', file, '--target', server.url, '--out', out], dir);
    await waitFor(() => server.served.length > 20);
    child.kill('SIGINT');
    const outcome = await done;

    assert.equal(outcome.code, 130, outcome.stderr);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(result.run.stopReason, 'interrupted');
    assert.ok(result.totals.requests > 0);
    assert.match(outcome.stdout, /ping/);
  } finally {
    await server.close();
  }
});

test('a run killed with SIGKILL leaves a parseable NDJSON timeline', async () => {
  const server = await startServer(() => ({ delayMs: 2 }));
  const dir = tempDir('sigkill');
  try {
    const file = writeScenario(dir, QUICK.replace('duration: 2s', 'duration: 60s'));
    const out = join(dir, 'result.json');
    const timeline = join(dir, 'result.timeline.ndjson');
    const { child, done } = startCli(['run', file, '--target', server.url, '--out', out], dir);
    await waitFor(() => existsSync(timeline) && ticks(timeline).length >= 2);
    child.kill('SIGKILL');
    const outcome = await done;

    assert.equal(outcome.signal, 'SIGKILL');
    assert.equal(existsSync(out), false, 'no result document: the process had no chance');
    const lines = readFileSync(timeline, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(lines[0].type, 'start');
    assert.equal(lines[0].scenario, 'quick');
    const tickLines = lines.filter((l) => l.type === 'tick');
    assert.ok(tickLines.length >= 2);
    assert.ok(tickLines.every((l) => typeof l.requests === 'number' && l.t > 0));
    assert.ok(tickLines.some((l) => l.requests > 0));
  } finally {
    await server.close();
  }
});

function ticks(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"type":"tick"'));
}

async function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await sleep(50);
  }
}
