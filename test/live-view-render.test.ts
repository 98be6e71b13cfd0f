// The live view's content, without a terminal: stages, the sparkline, cutting to width,
// the plain lines for logs, and how it steps aside for other output on a terminal.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Run } from '../src/engine/run.js';
import type { TimelinePoint } from '../src/metrics/timeline.js';
import { LiveLine, fitLine, renderView, sparkline, stageLabel } from '../src/report/live.js';
import type { LoadModel } from '../src/scenario/types.js';

const RAMP: LoadModel = {
  model: 'closed',
  startUsers: 0,
  stages: [
    { durationMs: 10_000, users: 50 },
    { durationMs: 20_000, users: 50 },
    { durationMs: 5_000, users: 0 },
  ],
};

function point(t: number, extra: Partial<TimelinePoint> = {}): TimelinePoint {
  return {
    t,
    seconds: 1,
    users: 20,
    target: 25,
    requests: 100,
    errors: 0,
    rps: 100,
    p50: 1.5,
    p90: 3,
    p99: 12.25,
    max: 30,
    inFlight: 3,
    stalledNow: 0,
    stalledTotal: 0,
    dropped: 0,
    freezeMs: 0,
    cpu: 0.2,
    loopDelayP99: 1,
    steps: {},
    ...extra,
  };
}

function fakeRun(elapsedMs: number): Run {
  return {
    scenario: { load: RAMP },
    elapsedMs,
    plannedMs: 35_000,
    stopping: false,
    iterationsCompleted: 0,
  } as unknown as Run;
}

function fakeStream(isTTY: boolean) {
  const writes: string[] = [];
  const stream = {
    isTTY,
    columns: 60,
    write(chunk: string) {
      writes.push(chunk);
      return true;
    },
  };
  return { stream: stream as unknown as NodeJS.WriteStream, writes };
}

test('the stage follows the elapsed time through ramps and plateaus', () => {
  assert.equal(stageLabel(RAMP, 4_000), 'stage 1/3: ramp 0 → 50 users');
  assert.equal(stageLabel(RAMP, 12_000), 'stage 2/3: steady 50 users');
  assert.equal(stageLabel(RAMP, 31_000), 'stage 3/3: ramp 50 → 0 users');
  assert.equal(stageLabel(RAMP, 99_000), 'stage 3/3: ramp 50 → 0 users');
  const flat: LoadModel = { model: 'open', startRatePerSec: 20, stages: [], maxUsers: 5 };
  flat.stages.push({ durationMs: 5_000, ratePerSec: 20 });
  assert.equal(stageLabel(flat, 1_000), 'steady 20/s');
});

test('the sparkline scales to the largest second and leaves idle seconds blank', () => {
  assert.equal(sparkline([0, 10, 20, 40, 80]), ' ▁▂▄█');
  assert.equal(sparkline([5, 5]), '██');
  assert.equal(sparkline([0, 0]), '  ');
});

test('lines are cut to the width with a mark, counting characters, not bytes', () => {
  assert.equal(fitLine('█'.repeat(30), 10), `${'█'.repeat(9)}…`);
  assert.equal(fitLine('short', 10), 'short');
});

test('the view shows the warning and delivery lines only when there is something to say', () => {
  const progress = { load: RAMP, elapsedMs: 12_500, plannedMs: 35_000, stopping: false };
  const calm = renderView({
    point: point(12),
    progress: { ...progress, iterationsCompleted: 0 },
    rpsHistory: [100],
    errorsTotal: 0,
  });
  assert.equal(calm.length, 4);
  assert.match(calm[0], /^\[█{9}░{15}\]  35% 12s \/ 35s · stage 2\/3: steady 50 users$/);
  assert.equal(calm[2], 'last 1.0s: p50 1.50ms · p99 12.3ms · errors 0 (0 total)');

  const frozen = renderView({
    point: {
      ...point(13, { freezeMs: 2_300, inFlight: 7, requests: 0 }),
      delivery: { p99: 250, lost: 3 },
    },
    progress: { ...progress, iterationsCompleted: 0 },
    rpsHistory: [100, 0],
    errorsTotal: 4,
  });
  assert.ok(frozen.includes('!! FROZEN for 2.3s: 7 requests in flight, none completing'));
  assert.ok(frozen.includes('delivery p99 250ms · lost messages 3'));
  assert.match(frozen[2], /p50 – · p99 – \(nothing completed\)/);
});

test('off a terminal: a plain line every 5 s, and at once during a freeze', () => {
  const { stream, writes } = fakeStream(false);
  const live = new LiveLine(stream);
  for (let t = 1; t <= 12; t++) live.update(point(t), fakeRun(t * 1000));
  live.update(point(13, { freezeMs: 1200 }), fakeRun(13_000));
  live.finish();

  assert.equal(writes.length, 3, writes.join(''));
  assert.match(writes[0], /^5\/35s · users 20\/25 · 100 req\/s · p99 12\.3ms/);
  assert.match(writes[2], /FROZEN for 1\.2s\n$/);
  assert.ok(
    writes.every((text) => !text.includes('\x1b')),
    'no escape codes in logs',
  );
});

test('on a terminal, other output erases the view, passes through, and the view returns', () => {
  const { stream, writes } = fakeStream(true);
  const originalWrite = stream.write;
  const live = new LiveLine(stream);
  live.update(point(1), fakeRun(1000));
  const view = writes.join('');
  assert.equal(view.split('\n').length, 4, 'four lines, no newline after the last');

  writes.length = 0;
  stream.write('chatload: interrupted\n');
  assert.equal(writes[0], '\r\x1b[3A\x1b[J', 'up over the view, erase to the end');
  assert.equal(writes[1], 'chatload: interrupted\n');
  assert.match(writes[2], /^\[/, 'drawn again below');

  writes.length = 0;
  live.finish();
  assert.deepEqual(writes, ['\r\x1b[3A\x1b[J\x1b[?25h']);
  assert.equal(stream.write, originalWrite, 'the stream is given back');
});
