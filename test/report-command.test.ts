// `chatload report`: reading result documents, refusing bad ones with the file and field,
// where the report goes, and the deltas of a comparison, on results of real local runs.

import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { startServer, type GroundTruthServer } from './support/ground-truth-server.js';
import { tempDir } from './support/cli.js';
import { runInline } from './support/run.js';
import { UsageError } from '../src/cli/exit-codes.js';
import { defaultReportPath, registerReportCommand } from '../src/cli/report-command.js';
import { computeDeltas } from '../src/report/html/compare.js';
import { buildHtmlReport } from '../src/report/html/page.js';
import type { ResultDocument } from '../src/report/result.js';

const scenario = (users: number) => `
name: report-command
load: { model: closed, users: ${users}, duration: 1s }
flows:
  - name: only
    steps:
      - get: /fast
        name: fast
      - get: /slow
        name: slow
      - think: 20ms
`;

let fastServer: GroundTruthServer;
let slowServer: GroundTruthServer;
let base: ResultDocument;
let next: ResultDocument;
let dir: string;

before(async () => {
  dir = tempDir('report-command');
  fastServer = await startServer((path) => ({ delayMs: path === '/slow' ? 30 : 2 }));
  slowServer = await startServer((path) => ({
    delayMs: path === '/slow' ? 90 : 2,
    status: path === '/fast' ? 503 : 200,
  }));
  [base, next] = await Promise.all([
    runInline(scenario(2), fastServer.url).then((run) => run.result),
    runInline(scenario(3), slowServer.url).then((run) => run.result),
  ]);
  // Through JSON, as the command reads them: NaN becomes null, dates become strings.
  base = JSON.parse(JSON.stringify(base));
  next = JSON.parse(JSON.stringify(next));
});

after(async () => {
  await fastServer?.close();
  await slowServer?.close();
});

async function report(args: string[]): Promise<number | undefined> {
  let code: number | undefined;
  const program = new Command('chatload').exitOverride();
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  registerReportCommand(program, (value) => (code = value));
  await program.parseAsync(['node', 'chatload', 'report', ...args]);
  return code;
}

function saved(name: string, document: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof document === 'string' ? document : JSON.stringify(document));
  return file;
}

test('writes one self-contained HTML file beside the result by default', async () => {
  const file = saved('base.json', base);
  assert.equal(await report([file]), 0);

  const html = readFileSync(join(dir, 'base.html'), 'utf8');
  assert.match(html, /^<!doctype html>/);
  // Nothing to fetch: no external scripts, styles, images or fonts (the browser test also
  // watches the network while the page is open).
  assert.doesNotMatch(html, /<script[^>]+src=|<link\b|<img\b|url\(|@import/i);
  assert.ok(html.includes('uPlot'), 'the chart library is inlined');
  assert.ok(html.includes(`>${base.steps[0].count}<`), 'the step counts are in the tables');
});

test('two results with -o: a comparison where the server made B slower and failing', async () => {
  const out = join(dir, 'nested', 'compare.html');
  const code = await report([saved('a.json', base), saved('b.json', next), '-o', out]);
  assert.equal(code, 0);
  assert.match(readFileSync(out, 'utf8'), /Deltas, B against A/);

  const deltas = computeDeltas(base, next);
  const slowP50 = deltas.find((d) => d.step === 'slow' && d.measure === 'p50')!;
  // The servers answered /slow after 30 ms and 90 ms: p50 moved by about 60 ms.
  assert.ok(slowP50.change! > 45 && slowP50.change! < 90, `p50 moved ${slowP50.change}ms`);
  assert.equal(slowP50.percent, (slowP50.change! / slowP50.base!) * 100);
  const fastErrors = deltas.find((d) => d.step === 'fast' && d.measure === 'errors')!;
  assert.equal(fastErrors.base, 0);
  assert.equal(fastErrors.next, slowServer.received.get('/fast'), 'every /fast failed in B');
  assert.equal(fastErrors.percent, null, 'no percentage of a zero base');
});

test('a missing file, broken JSON, another schema or a wrong field is a usage error', async () => {
  const cases: [string, RegExp][] = [
    [join(dir, 'nope.json'), /cannot read result .*nope\.json: no such file/],
    [saved('broken.json', '{"schema": '), /broken\.json: not a result document: /],
    [
      saved('other.json', { schema: 'k6/summary' }),
      /other\.json: schema: expected "chatload\/result\/v1" .*found "k6\/summary"/,
    ],
    [
      saved('field.json', { ...base, timeline: [{ ...base.timeline[0], rps: 'fast' }] }),
      /field\.json: timeline\[0\]\.rps: expected number, found "fast"/,
    ],
    [
      saved('missing.json', { ...base, steps: undefined }),
      /missing\.json: steps: expected array, found nothing/,
    ],
  ];
  for (const [file, message] of cases) {
    await assert.rejects(report([file]), (error: Error) => {
      assert.ok(error instanceof UsageError, `${file}: ${error}`);
      assert.equal(error.exitCode, 2);
      assert.match(error.message, message);
      return true;
    });
  }
  assert.ok(!existsSync(join(dir, 'field.html')), 'nothing written for a bad result');
});

test('a third result is refused by the command line', async () => {
  const file = saved('c.json', base);
  await assert.rejects(report([file, file, file]), /too many arguments/);
});

test('the default name of a comparison names both results', () => {
  assert.equal(defaultReportPath(['r/a.json', 'x/b.json']), join('r', 'a-vs-b.html'));
  assert.equal(defaultReportPath(['r/run.JSON']), join('r', 'run.html'));
});

test('chart data is embedded as JSON that no value can end early', () => {
  const hostile = structuredClone(base);
  hostile.scenario.name = '</script><!-- <script>';
  const html = buildHtmlReport([hostile]);
  const data = html.match(/<script type="application\/json" id="chatload-data">(.*?)<\/script>/s);
  assert.ok(data, 'the data element is intact');
  assert.equal(JSON.parse(data[1]).runs[0].label.startsWith('A: </script><!-- <script>'), true);
});
