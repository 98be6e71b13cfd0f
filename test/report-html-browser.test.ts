// The HTML report in a real browser (Debian's chromium, headless): reports made from real
// runs against a local server that injects errors, stalls and a freeze, so every chart has
// something to draw. Checks that each chart drew its lines, that the legends hold values,
// that nothing failed in the console and nothing was fetched, and saves screenshots in
// test-output/ for a person to look at.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { startServer, type Behaviour } from './support/ground-truth-server.js';
import { runCli, tempDir } from './support/cli.js';
import { inkedPixels, launchBrowser, openReport, pixelsNear } from './support/browser.js';
import { writeHtmlReport } from '../src/report/html/page.js';
import { readResultFile } from '../src/report/html/read.js';
import type { ResultDocument } from '../src/report/result.js';

const OUTPUT = fileURLToPath(new URL('../test-output/', import.meta.url));
const STALL_MS = 400;

interface Plan {
  users: number;
  delayMs: number;
  /** Every n-th /history answers 500, every m-th /send answers 404. */
  serverErrorEvery: number;
  notFoundEvery: number;
  /** Every n-th request is answered after this long (a stall that recovers). */
  slowEvery: number;
  slowMs: number;
  /** This request is never answered. */
  neverIndex?: number;
  /** From this long after the first request, every arrival is held for `forMs`. */
  freeze?: { atMs: number; forMs: number };
}

interface Recorded {
  result: ResultDocument;
  file: string;
  received: Map<string, number>;
}

const scenario = (users: number) => `
name: chat-report
load:
  model: closed
  stages: [ { duration: 2s, users: ${users} }, { duration: 4s, users: ${users} } ]
timeouts: { stall: ${STALL_MS}ms, grace: 600ms }
flows:
  - name: chatter
    steps:
      - post: /send
        name: send
        json: { text: 'hello from {{ user.index }}' }
      - get: /history
        name: history
      - think: 40ms
thresholds: [ "p99(send) < 5s", "stalled == 0" ]
`;

/** What the scripted server does with request `index` arriving `sinceFirstMs` in. */
function behaviourOf(plan: Plan, path: string, index: number, hold: () => Behaviour) {
  if (index === plan.neverIndex) return { stall: true };
  if (plan.freeze !== undefined) {
    const behaviour = hold();
    if (behaviour.holdUntil !== undefined) return behaviour;
  }
  if (index > 0 && index % plan.slowEvery === 0) return { delayMs: plan.slowMs };
  if (path === '/history' && index % plan.serverErrorEvery === 0) return { status: 500 };
  if (path === '/send' && index % plan.notFoundEvery === 0) return { status: 404 };
  return { delayMs: plan.delayMs };
}

async function recordRun(dir: string, name: string, plan: Plan): Promise<Recorded> {
  let firstAt: number | undefined;
  let released: Promise<void> | undefined;
  const hold = (): Behaviour => {
    const now = performance.now();
    firstAt ??= now;
    const since = now - firstAt;
    const freeze = plan.freeze!;
    if (since < freeze.atMs || since >= freeze.atMs + freeze.forMs) return {};
    released ??= sleep(freeze.atMs + freeze.forMs - since).then(() => undefined);
    return { holdUntil: released };
  };
  const server = await startServer((path, index) => {
    firstAt ??= performance.now();
    return behaviourOf(plan, path, index, hold);
  });

  try {
    const scenarioFile = join(dir, `${name}.yaml`);
    writeFileSync(scenarioFile, scenario(plan.users));
    const file = join(dir, `${name}.json`);
    const outcome = await runCli(
      ['run', scenarioFile, '--target', server.url, '--out', file, '--quiet', '--seed', '7'],
      dir,
    );
    assert.ok(outcome.code === 0 || outcome.code === 1, `run ${name}: ${outcome.stderr}`);
    return { result: readResultFile(file), file, received: server.received };
  } finally {
    await server.close();
  }
}

let browser: Browser;
let base: Recorded;
let next: Recorded;
let dir: string;

before(async () => {
  dir = tempDir('report-browser');
  mkdirSync(OUTPUT, { recursive: true });
  const launching = launchBrowser();
  [base, next] = await Promise.all([
    recordRun(dir, 'base', {
      users: 6,
      delayMs: 4,
      serverErrorEvery: 9,
      notFoundEvery: 13,
      slowEvery: 50,
      slowMs: 900,
      neverIndex: 77,
      freeze: { atMs: 3000, forMs: 1200 },
    }),
    recordRun(dir, 'next', {
      users: 4,
      delayMs: 12,
      serverErrorEvery: 20,
      notFoundEvery: 1_000_000,
      slowEvery: 70,
      slowMs: 700,
    }),
  ]);
  browser = await launching;
});

after(async () => {
  await browser?.close();
});

test('the runs behind the reports hold what the server injected', () => {
  assert.ok(base.result.freezes.length >= 1, 'the held window shows as a freeze');
  assert.ok(base.result.totals.stalls.neverCompleted >= 1, 'the unanswered request');
  assert.ok(base.result.totals.stalls.recovered >= 1, 'the slow answers');
  assert.ok(base.result.totals.errorsByClass.http5xx > 0);
  assert.ok(base.result.totals.errorsByClass.http4xx > 0);
  assert.equal(next.result.freezes.length, 0);
});

// The colours client.ts gives the first line of each chart.
const FIRST_LINE: Record<string, [number, number, number]> = {
  throughput: [37, 99, 235],
  latency: [37, 99, 235],
  inflight: [37, 99, 235],
  errors: [220, 38, 38],
  generator: [8, 145, 178],
};

async function checkCharts(file: string, expectedCharts: string[], screenshot: string) {
  const { page, errors, networkRequests } = await openReport(browser, file);
  try {
    await page.waitForSelector('#charts figure canvas');
    const ids = await page.$$eval('#charts figure', (figures) => figures.map((f) => f.id));
    assert.deepEqual(ids, expectedCharts);

    for (const id of ids) {
      const canvas = `#${id} canvas`;
      assert.ok((await inkedPixels(page, canvas)) > 500, `${id}: the canvas is not blank`);
      const key = id.replace('chart-', '');
      const colour = FIRST_LINE[key] ?? [37, 99, 235];
      const line = await pixelsNear(page, canvas, { rgb: colour });
      assert.ok(line > 30, `${id}: its first line is drawn (${line} pixels of its colour)`);

      const values = await page.$$eval(`#${id} .u-legend .u-series .u-value`, (cells) =>
        cells.map((cell) => cell.textContent ?? ''),
      );
      assert.equal(values[0], 'whole run', `${id}: legend before hovering`);
      assert.match(values[1], /^peak \d/, `${id}: first series has a value: ${values[1]}`);
    }

    await page.screenshot({ path: join(OUTPUT, screenshot), fullPage: true });
    return page;
  } finally {
    assert.deepEqual(errors, [], 'no console errors');
    assert.deepEqual(networkRequests, [], 'no network requests');
  }
}

test('a single-run report draws every chart offline, with legends and shaded freezes', async () => {
  const file = join(dir, 'single.html');
  writeHtmlReport([base.result], file);
  const steps = base.result.steps.map((_, i) => `chart-step-${i + 2}`);
  const page = await checkCharts(
    file,
    [
      'chart-throughput',
      'chart-latency',
      ...steps,
      'chart-inflight',
      'chart-errors',
      'chart-generator',
    ],
    'report-single.png',
  );

  // The freeze band: the only translucent red on the canvas (lines are opaque).
  const band = await pixelsNear(page, '#chart-inflight canvas', {
    rgb: [220, 38, 38],
    tolerance: 30,
    alpha: [20, 50],
  });
  assert.ok(band > 1000, `the freeze is shaded (${band} pixels)`);

  // Hovering reads the value of that second instead of the peak.
  const box = (await page.locator('#chart-throughput .u-over').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  const hovered = await page.$$eval('#chart-throughput .u-legend .u-value', (cells) =>
    cells.map((cell) => cell.textContent ?? ''),
  );
  assert.match(hovered[0], /^\d+\.\d s$/);
  assert.match(hovered[1], /^\d+(\.\d)?\/s$/);

  // The tables carry the server's own counts: every request sent reached it.
  const sendRow = await page.locator('#a-steps tbody tr', { hasText: 'send' }).first();
  const sendCount = Number((await sendRow.locator('td').first().textContent())!.replace(/,/g, ''));
  assert.equal(sendCount, base.received.get('/send'));
  await page.close();
});

// The compiled code, as `chatload report` and `chatload run --html` run it (the other
// reports here are written through tsx, which rewrites functions differently).
function writeWithBuiltCode(files: string[], out: string): void {
  const dist = (path: string) =>
    pathToFileURL(fileURLToPath(new URL(`../dist/src/${path}`, import.meta.url))).href;
  const program =
    `const { writeHtmlReport } = await import(${JSON.stringify(dist('report/html/page.js'))});\n` +
    `const { readResultFile } = await import(${JSON.stringify(dist('report/html/read.js'))});\n` +
    `writeHtmlReport(${JSON.stringify(files)}.map(readResultFile), ${JSON.stringify(out)});`;
  execFileSync(process.execPath, ['--input-type=module', '-e', program], { stdio: 'inherit' });
}

test('two runs: B is laid over A in every chart, with a deltas table per step', async () => {
  const file = join(dir, 'compare.html');
  writeWithBuiltCode([base.file, next.file], file);
  const steps = base.result.steps.map((_, i) => `chart-step-${i + 2}`);
  const page = await checkCharts(
    file,
    [
      'chart-throughput',
      'chart-latency',
      ...steps,
      'chart-inflight',
      'chart-errors',
      'chart-generator',
    ],
    'report-compare.png',
  );

  const labels = await page.$$eval('#chart-latency .u-legend .u-label', (cells) =>
    cells.map((cell) => cell.textContent ?? ''),
  );
  assert.ok(labels.includes('p99 (A)') && labels.includes('p99 (B)'), labels.join(', '));
  const dashedB = await page.$$eval('#chart-latency .u-legend .u-value', (cells) =>
    cells.map((cell) => cell.textContent ?? ''),
  );
  assert.ok(
    dashedB.slice(1).every((value) => /^peak \d/.test(value)),
    dashedB.join(', '),
  );

  const p99Row = page.locator('#deltas tbody tr', { hasText: 'p99' }).first();
  const cells = (await p99Row.locator('th, td').allTextContents()).map((c) => c.trim());
  assert.equal(cells[0], 'send');
  const sendA = base.result.steps.find((s) => s.name === 'send')!;
  const sendB = next.result.steps.find((s) => s.name === 'send')!;
  assert.equal(cells[2], formatLikeReport(sendA.latency.p99));
  assert.equal(cells[3], formatLikeReport(sendB.latency.p99));
  await page.close();
});

function formatLikeReport(value: number): string {
  if (value >= 10_000) return `${(value / 1000).toFixed(1)} s`;
  if (value >= 100) return `${value.toFixed(0)} ms`;
  return `${value.toFixed(value >= 10 ? 1 : 2)} ms`;
}

test('text from the result cannot break out of the page: </script> stays text', async () => {
  const hostile = structuredClone(base.result);
  hostile.scenario.name = 'x</script><script>window.__broken = 1</script><!--';
  hostile.steps[0].name = '<img src=x onerror="window.__broken = 2">';
  const file = join(dir, 'hostile.html');
  writeHtmlReport([hostile], file);
  assert.ok(!readFileSync(file, 'utf8').includes('</script><script>window.__broken'));

  const { page, errors, networkRequests } = await openReport(browser, file);
  await page.waitForSelector('#charts figure canvas');
  assert.equal(await page.evaluate(() => (window as { __broken?: number }).__broken), undefined);
  assert.equal(await page.title(), `chatload report: ${hostile.scenario.name}`);
  assert.ok((await page.locator('h1').textContent())!.includes('</script>'));
  assert.deepEqual(errors, []);
  assert.deepEqual(networkRequests, []);
  await page.close();
});
