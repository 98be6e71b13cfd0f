// CI outputs: the JUnit file parses as XML with one test case per threshold and per
// compared metric, and the Markdown summary goes to --summary-md and $GITHUB_STEP_SUMMARY.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { XMLParser } from 'fast-xml-parser';
import { writeRunOutputs } from '../src/compare/run-outputs.js';
import type { ResultDocument } from '../src/report/result.js';
import { tempDir } from './support/cli.js';
import { startServer } from './support/ground-truth-server.js';
import { runInline } from './support/run.js';

// A step name with every character XML must escape, and thresholds of which two fail.
const SCENARIO = `
name: ci-outputs
load: { model: closed, users: 4, duration: 2s }
flows:
  - name: chat
    steps:
      - get: /posts
        name: 'read <"posts"> & more'
thresholds:
  - p99 < 5s
  - p50 < 1ms
  - count < 3
`;

async function runOnce(delayMs: number): Promise<ResultDocument> {
  const server = await startServer(() => ({ delayMs }));
  try {
    return (await runInline(SCENARIO, server.url)).result;
  } finally {
    await server.close();
  }
}

test('the JUnit file has a case per threshold and per compared metric', async () => {
  const dir = tempDir('junit');
  const base = await runOnce(10);
  const next = await runOnce(40);
  const basePath = join(dir, 'base.json');
  writeFileSync(basePath, JSON.stringify(base));
  const junitPath = join(dir, 'out', 'junit.xml');

  const outcome = await writeRunOutputs(next, { baseline: basePath, junit: junitPath }, {});
  assert.equal(outcome.exitCode, 1, 'the slower run regressed');
  assert.match(outcome.text, /REGRESSED/);

  const xml = readFileSync(junitPath, 'utf8');
  const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
  const suites = [parsed.testsuites.testsuite].flat();
  assert.equal(suites.length, 2);

  const [thresholds, comparison] = suites;
  const thresholdCases = [thresholds.testcase].flat();
  assert.deepEqual(
    thresholdCases.map((c: { name: string }) => c.name),
    ['p99 < 5s', 'p50 < 1ms', 'count < 3'],
  );
  const failed = thresholdCases.filter((c: { failure?: unknown }) => c.failure !== undefined);
  assert.equal(failed.length, 2);
  assert.equal(Number(thresholds.failures), 2);
  assert.match(failed[0].failure.message, /^measured [\d.]+ms, limit p50 < 1ms \(1ms\)$/);

  // One step, so no totals: the five default metrics of that step.
  const comparisonCases = [comparison.testcase].flat();
  assert.equal(comparisonCases.length, 5);
  assert.equal(comparisonCases[0].name, 'p50 (read <"posts"> & more)');
  const regressions = comparisonCases.filter((c: { failure?: unknown }) => c.failure);
  assert.ok(regressions.length >= 1);
  assert.equal(Number(comparison.failures), regressions.length);
  assert.equal(Number(parsed.testsuites.tests), 8);
  assert.equal(Number(parsed.testsuites.failures), 2 + regressions.length);
});

test('the Markdown summary is written to the file and appended to the step summary', async () => {
  const dir = tempDir('summary');
  const result = await runOnce(5);
  const stepSummary = join(dir, 'step-summary.md');
  writeFileSync(stepSummary, 'earlier step\n');
  const summaryPath = join(dir, 'summary.md');

  const outcome = await writeRunOutputs(
    result,
    { summaryMd: summaryPath },
    { GITHUB_STEP_SUMMARY: stepSummary },
  );
  assert.equal(outcome.exitCode, 0);
  assert.equal(outcome.text, '');

  const summary = readFileSync(summaryPath, 'utf8');
  assert.match(summary, /^## chatload: ci-outputs FAILED/);
  assert.match(summary, /\| read <"posts"> & more \| \d+ \|/);
  assert.match(summary, /\| `p50 < 1ms` \| [\d.]+ms \| \*\*FAIL\*\* \|/);
  const appended = readFileSync(stepSummary, 'utf8');
  assert.ok(appended.startsWith('earlier step\n'), 'earlier content is kept');
  assert.ok(appended.includes(summary), 'the same summary is appended');
});

test('without the variable no step summary is written, and a bad baseline is refused', async () => {
  const dir = tempDir('summary-none');
  const result = await runOnce(5);
  const outcome = await writeRunOutputs(result, {}, {});
  assert.deepEqual(outcome, { exitCode: 0, text: '' });

  const notResult = join(dir, 'not-a-result.json');
  writeFileSync(notResult, '{"schema":"something/else"}');
  await assert.rejects(
    writeRunOutputs(result, { baseline: notResult }, {}),
    /--baseline .*not-a-result\.json: expected a result document .* found schema "something\/else"/,
  );
});
