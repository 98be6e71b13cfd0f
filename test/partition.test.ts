// Splitting a run into shards and workers: the parts' shares always add up to the whole,
// each part's users have their own indexes, and the open model's arrivals are dealt out
// without loss or overlap, however the levels nest.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Partition } from '../src/engine/partition.js';

/** Every part of `shards` shards of `workers` workers each. */
function parts(shards: number, workers: number): Partition[] {
  const all: Partition[] = [];
  for (let shard = 0; shard < shards; shard++) {
    for (let worker = 0; worker < workers; worker++) {
      all.push(new Partition([{ index: shard, count: shards }]).split(worker, workers));
    }
  }
  return all;
}

test('user shares add up to the whole and never shrink as the whole grows', () => {
  for (const [shards, workers] of [
    [1, 1],
    [1, 3],
    [5, 1],
    [3, 4],
  ]) {
    const split = parts(shards, workers);
    const previous = split.map(() => 0);
    for (let total = 0; total <= 200; total++) {
      const shares = split.map((part) => part.shareOf(total));
      assert.equal(
        shares.reduce((a, b) => a + b, 0),
        total,
        `${shards}×${workers} parts of ${total}`,
      );
      shares.forEach((share, i) => assert.ok(share >= previous[i], 'a ramp stays a ramp'));
      shares.forEach((share, i) => (previous[i] = share));
    }
  }
});

test('the parts use disjoint ranges of user indexes that cover 0..peak-1', () => {
  for (const peak of [1, 7, 100, 1001]) {
    const split = parts(3, 4);
    const seen = new Array<number>(peak).fill(0);
    for (const part of split) {
      const first = part.firstIndex(peak);
      for (let k = 0; k < part.shareOf(peak); k++) seen[first + k]++;
    }
    assert.deepEqual(
      seen,
      new Array<number>(peak).fill(1),
      `every index once, for a peak of ${peak}`,
    );
  }
});

test('every open-model arrival belongs to exactly one part, in fair shares', () => {
  const split = parts(3, 2);
  const owned = split.map(() => 0);
  for (let sequence = 0; sequence < 6000; sequence++) {
    const owners = split.filter((part) => part.owns(sequence));
    assert.equal(owners.length, 1, `arrival ${sequence} has one owner`);
    owned[split.indexOf(owners[0])]++;
  }
  assert.deepEqual(owned, new Array<number>(6).fill(1000));
  for (const part of split) assert.equal(part.fraction, 1 / 6);
});

test('parts describe themselves as the command line names them', () => {
  const part = new Partition([{ index: 1, count: 4 }]).split(0, 2);
  assert.equal(part.describe(), 'shard 2/4, worker 1/2');
  assert.throws(() => new Partition([{ index: 4, count: 4 }]), /bad partition level 4\/4/);
});
