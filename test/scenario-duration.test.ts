import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DurationSyntaxError,
  parseDuration,
  parseDurationRange,
  parseRate,
} from '../src/scenario/duration.js';

describe('parseDuration', () => {
  const cases: [string, number][] = [
    ['250ms', 250],
    ['30s', 30_000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    ['1h2m3s4ms', 3_723_004],
    ['500us', 0.5],
    ['0s', 0],
    [' 10s ', 10_000],
  ];
  for (const [text, ms] of cases) {
    it(`reads ${JSON.stringify(text)} as ${ms} ms`, () => {
      assert.equal(parseDuration(text), ms);
    });
  }

  for (const text of ['30', '', 'fast', '-1s', '1 s', '30s1m', '1s1s', '1d', '1.5', 's']) {
    it(`rejects ${JSON.stringify(text)} saying what a duration looks like`, () => {
      assert.throws(
        () => parseDuration(text),
        (error: unknown) => {
          assert.ok(error instanceof DurationSyntaxError);
          assert.equal(
            error.message,
            `expected a duration such as 500ms, 30s or 2m, found ${JSON.stringify(text)}`,
          );
          return true;
        },
      );
    });
  }
});

describe('parseDurationRange', () => {
  it('reads a single duration as a fixed pause', () => {
    assert.deepEqual(parseDurationRange('1s'), { minMs: 1000, maxMs: 1000 });
  });

  it('reads min..max', () => {
    assert.deepEqual(parseDurationRange('100ms..300ms'), { minMs: 100, maxMs: 300 });
  });

  for (const text of ['300ms..100ms', '1s..', '..1s', '1s..2s..3s', 'fast']) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      assert.throws(() => parseDurationRange(text), /expected a duration or range such as/);
    });
  }
});

describe('parseRate', () => {
  it('reads per-second, per-minute and per-hour rates as per second', () => {
    assert.equal(parseRate('200/s'), 200);
    assert.equal(parseRate('600/m'), 10);
    assert.equal(parseRate('10/h'), 10 / 3600);
    assert.equal(parseRate('0.5/s'), 0.5);
  });

  for (const text of ['200', '200/d', '/s', '-1/s', 'fast']) {
    it(`rejects ${JSON.stringify(text)} saying what a rate looks like`, () => {
      assert.throws(
        () => parseRate(text),
        new RegExp(`^DurationSyntaxError: expected a rate such as 200/s, 600/m or 10/h`),
      );
    });
  }
});
