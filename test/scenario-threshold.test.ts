import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseThreshold, ThresholdSyntaxError } from '../src/scenario/threshold.js';
import type { Threshold } from '../src/scenario/types.js';

describe('parseThreshold', () => {
  const cases: [string, Omit<Threshold, 'source'>][] = [
    [
      'p99(item) < 300ms',
      {
        metric: { kind: 'percentile', percentile: 99 },
        step: 'item',
        op: '<',
        value: 300,
        unit: 'ms',
      },
    ],
    [
      'p95 < 1s',
      { metric: { kind: 'percentile', percentile: 95 }, op: '<', value: 1000, unit: 'ms' },
    ],
    ['stalled == 0', { metric: { kind: 'stalled' }, op: '==', value: 0, unit: 'count' }],
    ['errors < 1%', { metric: { kind: 'errors' }, op: '<', value: 1, unit: 'percent' }],
    ['rps > 200', { metric: { kind: 'rps' }, op: '>', value: 200, unit: 'perSec' }],
    ['dropped == 0', { metric: { kind: 'dropped' }, op: '==', value: 0, unit: 'count' }],
    [
      'errors(login) <= 5',
      { metric: { kind: 'errors' }, step: 'login', op: '<=', value: 5, unit: 'count' },
    ],
    [
      'p999 <= 2s',
      { metric: { kind: 'percentile', percentile: 99.9 }, op: '<=', value: 2000, unit: 'ms' },
    ],
    [
      'p99.9 != 1m',
      { metric: { kind: 'percentile', percentile: 99.9 }, op: '!=', value: 60_000, unit: 'ms' },
    ],
    [
      'p50>=500us',
      { metric: { kind: 'percentile', percentile: 50 }, op: '>=', value: 0.5, unit: 'ms' },
    ],
    ['max < 1.5s', { metric: { kind: 'max' }, op: '<', value: 1500, unit: 'ms' }],
    [
      'mean(item) < 20ms',
      { metric: { kind: 'mean' }, step: 'item', op: '<', value: 20, unit: 'ms' },
    ],
    ['requests >= 1000', { metric: { kind: 'count' }, op: '>=', value: 1000, unit: 'count' }],
    [
      'count(create) > 10',
      { metric: { kind: 'count' }, step: 'create', op: '>', value: 10, unit: 'count' },
    ],
  ];
  for (const [text, expected] of cases) {
    it(`parses ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parseThreshold(text), { source: text, ...expected });
    });
  }

  it('takes a step name with spaces, slashes and template braces up to the last )', () => {
    const threshold = parseThreshold('p99(GET /items/{{ id }}) < 300ms');
    assert.equal(threshold.step, 'GET /items/{{ id }}');
    assert.equal(threshold.value, 300);
  });
});

describe('parseThreshold, chat delivery metrics', () => {
  it('reads delivery.p99 as a latency of message delivery', () => {
    const threshold = parseThreshold('delivery.p99 < 500ms');
    assert.deepEqual(threshold.metric, { kind: 'percentile', percentile: 99 });
    assert.equal(threshold.of, 'delivery');
    assert.equal(threshold.value, 500);
    assert.equal(threshold.unit, 'ms');
  });

  it('reads lost, duplicates, seqGaps and reconnects as counts', () => {
    for (const kind of ['lost', 'duplicates', 'seqGaps', 'reconnects'] as const) {
      const threshold = parseThreshold(`${kind} == 0`);
      assert.deepEqual(threshold.metric, { kind });
      assert.equal(threshold.unit, 'count');
      assert.equal(threshold.of, undefined);
    }
  });
});

describe('parseThreshold rejects', () => {
  const cases: [string, number, RegExp][] = [
    ['latency < 1s', 0, /^unknown metric "latency": expected a metric such as p50/],
    ['p9 9 < 1s', 3, /^expected a comparison \(< <= > >= == !=\), found "9"/],
    ['p0 < 1s', 0, /^expected a percentile above 0 and at most 100/],
    ['p101 < 1s', 0, /found "p101"/],
    ['p99 < 300', 9, /^expected a latency with a unit \(us, ms, s or m\) such as 300ms, found 300/],
    ['p99 < 3d', 7, /^expected a latency unit \(us, ms, s or m\), found "d"/],
    ['stalled = 0', 8, /^expected a comparison \(< <= > >= == !=\), found "="/],
    ['stalled == 0 please', 13, /^expected the end of the threshold, found "please"/],
    ['stalled ==', 10, /^expected a non-negative number, found the end of the threshold/],
    ['stalled == -1', 11, /^expected a non-negative number, found "-1"/],
    ['stalled == 2ms', 12, /^expected a plain count, found "2ms"/],
    ['errors < 150%', 9, /^expected a percentage from 0 to 100, found 150%/],
    ['errors < 2x', 10, /^expected a count or a percentage such as 1%, found "2x"/],
    ['rps > 2ms', 7, /^expected a plain number of requests per second, found "2ms"/],
    ['p99(item < 1s', 13, /^expected "\)" to close the step name/],
    ['p99( ) < 1s', 4, /^expected a step name between "\(" and "\)"/],
    ['dropped(item) == 0', 7, /^expected no step name: dropped is counted for the whole run/],
    ['lost(item) == 0', 4, /^expected no step name: lost is counted for the whole run/],
    ['delivery.lost == 0', 0, /^expected a latency metric after "delivery."/],
    ['delivery.p99(x) < 1s', 12, /^expected no step name: delivery is counted/],
    ['delivery.p99 < 300', 18, /^expected a latency with a unit/],
    ['', 0, /^expected a metric such as p50/],
  ];
  for (const [text, column, message] of cases) {
    it(`${JSON.stringify(text)} at column ${column}`, () => {
      assert.throws(
        () => parseThreshold(text),
        (error: unknown) => {
          assert.ok(error instanceof ThresholdSyntaxError);
          assert.match(error.message, message);
          assert.equal(error.column, column);
          return true;
        },
      );
    });
  }

  it('suggests the metric a typo was meant to be', () => {
    assert.throws(() => parseThreshold('stalld == 0'), /\(did you mean "stalled"\?\)$/);
  });
});
