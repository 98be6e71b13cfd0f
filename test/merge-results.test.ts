// `chatload merge` on result documents whose every sample the test recorded itself: the
// parts are built by buildResult from runs made of known latencies, stalls, freezes and
// timeline points, so the merge can be checked against one histogram of all the values.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { test } from 'node:test';
import { UsageError } from '../src/cli/exit-codes.js';
import { createRandom } from '../src/engine/random.js';
import {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  percentileMs,
  recordMs,
  summarize,
} from '../src/metrics/histogram.js';
import { InFlightTracker, type Freeze, type StallRecord } from '../src/metrics/inflight.js';
import { StepMetrics, type ErrorClass } from '../src/metrics/step-metrics.js';
import { Timeline, type TimelinePoint, type TimelineSource } from '../src/metrics/timeline.js';
import { judge } from '../src/report/gates.js';
import { addTimelinePoints, mergeResults, type MergeInput } from '../src/report/merge.js';
import {
  buildResult,
  viewOfRun,
  type FinishedRun,
  type ResultDocument,
} from '../src/report/result.js';
import { parseScenario } from '../src/scenario/load.js';
import { runCli, tempDir } from './support/cli.js';
import { percentileOf } from './support/run.js';

const STALL_MS = 500;

const scenarioYaml = (name = 'merge-test', thresholds: string[] = []) => `
name: ${name}
load: { model: closed, users: 4, duration: 5s }
timeouts: { stall: ${STALL_MS}ms }
flows:
  - name: chat
    steps:
      - get: /channels
        name: channels
      - post: /posts
        name: send
        json: { message: hello }
thresholds: ${JSON.stringify(thresholds)}
`;

interface StepSpec {
  latenciesMs: number[];
  /** How many of the latencies above ended in this error class. */
  errors?: { errorClass: ErrorClass; count: number };
  neverCompleted?: number;
}

interface PartSpec {
  startedAt: string;
  elapsedMs: number;
  steps: Record<string, StepSpec>;
  seed?: number;
  scenario?: string;
  stalls?: StallRecord[];
  freezes?: Freeze[];
  timeline?: TimelinePoint[];
  stopReason?: 'completed' | 'interrupted' | 'aborted';
  dropped?: number;
}

/** A result document built the way `run` builds one, from values the test chose. */
function documentOf(spec: PartSpec): ResultDocument {
  const scenario = parseScenario(spec.scenario ?? scenarioYaml(), 'merge.yaml', 'yaml');
  const steps = new Map<string, StepMetrics>();
  for (const [name, stepSpec] of Object.entries(spec.steps)) {
    const metrics = new StepMetrics(name);
    stepSpec.latenciesMs.forEach((latencyMs, i) => {
      const failed = stepSpec.errors !== undefined && i < stepSpec.errors.count;
      metrics.recordCompletion(
        latencyMs,
        latencyMs / 2,
        failed ? stepSpec.errors!.errorClass : undefined,
      );
    });
    metrics.count = metrics.completed + (stepSpec.neverCompleted ?? 0);
    metrics.stalls.total = stepSpec.neverCompleted ?? 0;
    metrics.stalls.neverCompleted = stepSpec.neverCompleted ?? 0;
    metrics.fold();
    steps.set(name, metrics);
  }

  const tracker = new InFlightTracker(STALL_MS, 0);
  tracker.stallList.push(...(spec.stalls ?? []));
  tracker.freezes.push(...(spec.freezes ?? []));
  // The timeline only reads its source when a point is closed; these points are given.
  const timeline = new Timeline({ startedAt: 0 } as TimelineSource);
  timeline.points.push(...(spec.timeline ?? []));

  const run: FinishedRun = {
    scenario,
    options: { target: 'http://127.0.0.1:9', seed: spec.seed ?? 1 },
    connections: 'per-user',
    steps,
    elapsedMs: spec.elapsedMs,
    startedAtWall: new Date(spec.startedAt),
    plannedMs: 5000,
    stopReason: spec.stopReason ?? 'completed',
    abortMessage: undefined,
    iterationsStarted: 10,
    iterationsCompleted: 9,
    dropped: spec.dropped ?? 0,
    tracker,
    timeline,
    eventLoopDelay: monitorEventLoopDelay(),
    internalErrors: [],
    chatRuntime: undefined,
  };
  const verdicts = judge(scenario.thresholds, viewOfRun(run));
  // Through JSON, as `chatload merge` reads it from a file.
  return JSON.parse(JSON.stringify(buildResult(run, verdicts, { cpuSeconds: 1.5 })));
}

function latencies(seed: number, count: number, lowMs: number, highMs: number): number[] {
  const random = createRandom(seed, 0);
  return Array.from({ length: count }, () => lowMs + random() * (highMs - lowMs));
}

function histogramOf(values: number[]) {
  const histogram = createHistogram();
  for (const value of values) recordMs(histogram, value);
  return histogram;
}

function parts(...docs: [string, ResultDocument][]): MergeInput[] {
  return docs.map(([label, doc]) => ({ label, doc }));
}

function sharded(doc: ResultDocument, index: number, count: number): ResultDocument {
  return { ...doc, shard: { index, count } };
}

test('counts are summed and the merged histograms hold every value of every part', () => {
  const a = {
    channels: latencies(1, 700, 2, 40),
    send: latencies(2, 300, 10, 400),
  };
  const b = {
    channels: latencies(3, 1200, 5, 90),
    send: latencies(4, 50, 300, 2500),
  };
  const c = { channels: latencies(5, 400, 1, 20) };
  const docA = documentOf({
    startedAt: '2025-01-01T10:00:00.000Z',
    elapsedMs: 5000,
    steps: {
      channels: { latenciesMs: a.channels, errors: { errorClass: 'http5xx', count: 7 } },
      send: { latenciesMs: a.send, neverCompleted: 2 },
    },
    dropped: 3,
  });
  const docB = documentOf({
    startedAt: '2025-01-01T10:00:00.400Z',
    elapsedMs: 5200,
    steps: {
      channels: { latenciesMs: b.channels, errors: { errorClass: 'timeout', count: 4 } },
      send: { latenciesMs: b.send },
    },
    stopReason: 'aborted',
  });
  const docC = documentOf({
    startedAt: '2025-01-01T10:00:00.100Z',
    elapsedMs: 4000,
    steps: { channels: { latenciesMs: c.channels } },
    dropped: 1,
  });

  const merged = mergeResults(
    parts(
      ['a.json', sharded(docA, 1, 3)],
      ['b.json', sharded(docB, 2, 3)],
      ['c.json', sharded(docC, 3, 3)],
    ),
  );

  const channels = merged.steps.find((s) => s.name === 'channels')!;
  const send = merged.steps.find((s) => s.name === 'send')!;
  assert.equal(channels.count, 700 + 1200 + 400);
  assert.equal(channels.completed, 700 + 1200 + 400);
  assert.equal(channels.errors, 11);
  assert.equal(channels.errorsByClass.http5xx, 7);
  assert.equal(channels.errorsByClass.timeout, 4);
  assert.equal(send.count, 300 + 2 + 50);
  assert.equal(send.completed, 350);
  assert.equal(send.stalls.neverCompleted, 2);
  assert.equal(merged.totals.requests, 2300 + 352);
  assert.equal(merged.totals.errors, 11);
  assert.equal(merged.totals.dropped, 4);
  assert.equal(merged.run.iterationsStarted, 30);

  // The run spans the earliest start to the latest end: A at 0 ms, B ends at 400 + 5200.
  assert.equal(merged.run.startedAt, '2025-01-01T10:00:00.000Z');
  assert.equal(merged.run.durationMs, 5600);
  assert.equal(merged.run.stopReason, 'aborted');
  assert.equal(channels.rps, Math.round((2300 / 5.6) * 1000) / 1000);

  // One histogram of every recorded value is the ground truth; the merge must equal it.
  const allChannels = [...a.channels, ...b.channels, ...c.channels];
  const truth = histogramOf(allChannels);
  const decoded = decodeHistogram(merged.histograms.steps.channels.latency);
  assert.equal(decoded.totalCount, allChannels.length);
  for (const percentile of [50, 99, 100]) {
    assert.equal(percentileMs(decoded, percentile), percentileMs(truth, percentile));
  }
  assert.deepEqual(channels.latency, summarize(truth));
  // HDR keeps 3 significant digits: the p99 is within 0.1% of the raw values' p99.
  const rawP99 = percentileOf(allChannels, 99);
  assert.ok(Math.abs(channels.latency.p99 - rawP99) <= rawP99 * 0.001 + 0.001);

  const allValues = [...allChannels, ...a.send, ...b.send];
  assert.deepEqual(merged.totals.latency, summarize(histogramOf(allValues)));
  assert.deepEqual(send.service, summarize(histogramOf([...a.send, ...b.send].map((v) => v / 2))));

  assert.deepEqual(merged.merged?.missingShards, []);
  assert.deepEqual(
    merged.merged?.parts.map((p) => [p.file, p.shard?.index, p.requests]),
    [
      ['a.json', 1, 1002],
      ['b.json', 2, 1250],
      ['c.json', 3, 400],
    ],
  );
  assert.equal(merged.shard, undefined);
});

test('stall records are put on the merged time axis and sorted', () => {
  const stall = (step: string, userIndex: number, startMs: number): StallRecord => ({
    step,
    userIndex,
    startMs,
    ageMs: 800,
    outcome: 'recovered',
  });
  const docA = documentOf({
    startedAt: '2025-01-01T10:00:00.000Z',
    elapsedMs: 5000,
    steps: { send: { latenciesMs: [1, 2] } },
    stalls: [stall('send', 1, 500), stall('send', 2, 2000)],
  });
  // B started 300 ms after A: its stall at 100 ms happened at 400 ms of the merged run.
  const docB = documentOf({
    startedAt: '2025-01-01T10:00:00.300Z',
    elapsedMs: 5000,
    steps: { send: { latenciesMs: [3] } },
    stalls: [stall('channels', 7, 100), stall('channels', 8, 1900)],
  });
  docB.stalls.notListed = 5;

  const merged = mergeResults(parts(['a.json', docA], ['b.json', docB]));
  assert.deepEqual(
    merged.stalls.list.map((s) => [s.startMs, s.step, s.userIndex]),
    [
      [400, 'channels', 7],
      [500, 'send', 1],
      [2000, 'send', 2],
      [2200, 'channels', 8],
    ],
  );
  assert.equal(merged.stalls.notListed, 5);
});

test('a merged freeze is where every part was frozen at once', () => {
  const frozen = (startMs: number, endMs: number, held: number): Freeze => ({
    startMs,
    lengthMs: endMs - startMs,
    requestsHeld: held,
  });
  const partWith = (freezes: Freeze[], startedAt = '2025-01-01T10:00:00.000Z') =>
    documentOf({ startedAt, elapsedMs: 6000, steps: { send: { latenciesMs: [1] } }, freezes });

  const merged = mergeResults(
    parts(
      ['a.json', partWith([frozen(1000, 3000, 5)])],
      ['b.json', partWith([frozen(2000, 4000, 7)])],
    ),
  );
  assert.deepEqual(merged.freezes, [{ startMs: 2000, lengthMs: 1000, requestsHeld: 12 }]);

  // Overlapping by 100 ms, less than the stall limit: something completed around it.
  const brief = mergeResults(
    parts(
      ['a.json', partWith([frozen(1000, 3000, 5)])],
      ['b.json', partWith([frozen(2900, 4000, 7)])],
    ),
  );
  assert.deepEqual(brief.freezes, []);

  // Frozen in only one part: the other kept completing, so nothing was frozen overall.
  const alone = mergeResults(
    parts(['a.json', partWith([frozen(1000, 3000, 5)])], ['b.json', partWith([])]),
  );
  assert.deepEqual(alone.freezes, []);

  // B started 1 s later: its freeze at 1000–3000 of its own run is 2000–4000 of the merge.
  const shifted = mergeResults(
    parts(
      ['a.json', partWith([frozen(1500, 3500, 2)])],
      ['b.json', partWith([frozen(1000, 3000, 3)], '2025-01-01T10:00:01.000Z')],
    ),
  );
  assert.deepEqual(shifted.freezes, [{ startMs: 2000, lengthMs: 1500, requestsHeld: 5 }]);
});

/** A timeline point whose interval latencies are `valuesMs` (one step, `send`). */
function pointOf(
  t: number,
  valuesMs: number[],
  gauges: Partial<TimelinePoint> = {},
): TimelinePoint {
  const histogram = histogramOf(valuesMs);
  return {
    t,
    seconds: 1,
    users: 2,
    target: 2,
    requests: valuesMs.length,
    errors: 0,
    rps: valuesMs.length,
    p50: percentileMs(histogram, 50),
    p90: percentileMs(histogram, 90),
    p99: percentileMs(histogram, 99),
    max: percentileMs(histogram, 100),
    inFlight: 1,
    stalledNow: 0,
    stalledTotal: 0,
    dropped: 0,
    freezeMs: 0,
    cpu: 0.25,
    loopDelayP99: 1,
    steps: {
      send: {
        count: valuesMs.length,
        errors: 0,
        p50: percentileMs(histogram, 50),
        p99: percentileMs(histogram, 99),
        max: percentileMs(histogram, 100),
      },
    },
    hist: encodeHistogram(histogram),
    ...gauges,
  };
}

test('timelines are aligned second by second and their percentiles recomputed', () => {
  const a = [latencies(10, 40, 1, 30), latencies(11, 50, 1, 30), latencies(12, 60, 1, 30)];
  const b = [latencies(20, 30, 50, 300), latencies(21, 20, 50, 300), latencies(22, 10, 50, 300)];
  const docA = documentOf({
    startedAt: '2025-01-01T10:00:00.000Z',
    elapsedMs: 3000,
    steps: { send: { latenciesMs: a.flat() } },
    timeline: [
      pointOf(1, a[0]),
      pointOf(2, a[1], { freezeMs: 700, stalledTotal: 1 }),
      pointOf(3, a[2], { freezeMs: 900, stalledTotal: 2 }),
    ],
  });
  // B started one second after A: its second 1 is the merged second 2.
  const docB = documentOf({
    startedAt: '2025-01-01T10:00:01.000Z',
    elapsedMs: 3000,
    steps: { send: { latenciesMs: b.flat() } },
    timeline: [
      pointOf(1, b[0], { freezeMs: 600, stalledTotal: 3 }),
      pointOf(2, b[1], { stalledTotal: 4 }),
      pointOf(3, b[2], { stalledTotal: 4 }),
    ],
  });

  const timeline = mergeResults(parts(['a.json', docA], ['b.json', docB])).timeline;
  assert.deepEqual(
    timeline.map((p) => [p.t, p.requests, p.users]),
    [
      [1, 40, 2],
      [2, 50 + 30, 4],
      [3, 60 + 20, 4],
      [4, 10, 2],
    ],
  );

  // Second 2 holds A's second 2 and B's second 1: its percentiles are those of both.
  const second2 = timeline[1];
  const truth = histogramOf([...a[1], ...b[0]]);
  assert.equal(second2.p50, percentileMs(truth, 50));
  assert.equal(second2.p99, percentileMs(truth, 99));
  assert.equal(second2.max, percentileMs(truth, 100));
  assert.equal(decodeHistogram(second2.hist!).totalCount, 80);
  assert.equal(second2.steps.send.count, 80);
  assert.equal(second2.rps, 80);
  assert.equal(second2.cpu, 0.5);

  // The worker parent adds its workers' seconds with the same function.
  assert.deepEqual(addTimelinePoints([docA.timeline[1], docB.timeline[0]]), second2);

  // Frozen overall only as long as both were: the shorter of the two freezes.
  assert.equal(second2.freezeMs, 600);
  assert.equal(timeline[2].freezeMs, 0);
  // A ended after merged second 3; its 2 stalls still count in second 4.
  assert.deepEqual(
    timeline.map((p) => p.stalledTotal),
    [0, 1 + 3, 2 + 4, 2 + 4],
  );
});

test('without interval histograms the timeline keeps the highest percentile, an upper bound', () => {
  const withoutHist = (point: TimelinePoint): TimelinePoint => {
    const { hist: _hist, ...rest } = point;
    return rest;
  };
  const docA = documentOf({
    startedAt: '2025-01-01T10:00:00.000Z',
    elapsedMs: 1000,
    steps: { send: { latenciesMs: [5] } },
    timeline: [withoutHist(pointOf(1, [5, 6, 7]))],
  });
  const docB = documentOf({
    startedAt: '2025-01-01T10:00:00.000Z',
    elapsedMs: 1000,
    steps: { send: { latenciesMs: [5] } },
    timeline: [pointOf(1, [50, 60, 70])],
  });
  const [point] = mergeResults(parts(['a.json', docA], ['b.json', docB])).timeline;
  assert.equal(point.p99, docB.timeline[0].p99);
  assert.equal(point.hist, undefined);
  assert.equal(point.requests, 6);
});

test('thresholds are judged again on the merged numbers', () => {
  const gates = ['p99(send) < 100ms', 'errors < 5'];
  const scenario = scenarioYaml('merge-test', gates);
  // A alone fails the p99 (3% slow); B's many fast requests bring the whole under 1%.
  const slowA = [...latencies(30, 97, 5, 50), ...latencies(31, 3, 150, 200)];
  const fastB = latencies(32, 900, 5, 50);
  const docA = documentOf({
    startedAt: '2025-01-01T10:00:00.000Z',
    elapsedMs: 2000,
    scenario,
    steps: { send: { latenciesMs: slowA, errors: { errorClass: 'http5xx', count: 3 } } },
  });
  const docB = documentOf({
    startedAt: '2025-01-01T10:00:00.000Z',
    elapsedMs: 2000,
    scenario,
    steps: { send: { latenciesMs: fastB, errors: { errorClass: 'http5xx', count: 3 } } },
  });
  const verdict = (doc: ResultDocument, expression: string) =>
    doc.thresholds.find((v) => v.expression === expression)!.passed;
  assert.equal(verdict(docA, gates[0]), false);
  assert.equal(verdict(docB, gates[0]), true);
  assert.equal(verdict(docA, gates[1]), true);
  assert.equal(verdict(docB, gates[1]), true);

  const merged = mergeResults(parts(['a.json', docA], ['b.json', docB]));
  const truthP99 = percentileMs(histogramOf([...slowA, ...fastB]), 99);
  assert.ok(truthP99 < 100, `the ground truth p99 is ${truthP99}`);
  assert.equal(verdict(merged, gates[0]), true);
  assert.equal(merged.thresholds[0].actual, truthP99);
  // 3 + 3 errors: each part passed `errors < 5`, the whole does not.
  assert.equal(verdict(merged, gates[1]), false);
  assert.equal(merged.thresholds[1].actual, 6);
});

test('results that are not parts of one run are refused, naming the files', () => {
  const doc = (overrides: Partial<PartSpec> = {}) =>
    documentOf({
      startedAt: '2025-01-01T10:00:00.000Z',
      elapsedMs: 1000,
      steps: { send: { latenciesMs: [1, 2, 3] } },
      ...overrides,
    });
  const refused = (inputs: MergeInput[], pattern: RegExp, force = false) =>
    assert.throws(
      () => mergeResults(inputs, { force }),
      (error: unknown) => {
        assert.ok(error instanceof UsageError, String(error));
        assert.match(error.message, pattern);
        return true;
      },
    );

  refused(parts(['only.json', doc()]), /at least 2 .*only\.json/);
  refused(
    parts(['a.json', doc()], ['other.json', doc({ scenario: scenarioYaml('another') })]),
    /a\.json and other\.json .*different scenarios/,
  );
  // Different scenarios are refused even with --force.
  refused(
    parts(['a.json', doc()], ['other.json', doc({ scenario: scenarioYaml('another') })]),
    /a\.json and other\.json/,
    true,
  );
  refused(
    parts(
      ['a.json', doc()],
      ['edited.json', doc({ scenario: scenarioYaml('merge-test', ['p99 < 1s']) })],
    ),
    /a\.json and edited\.json .*definitions/,
  );
  refused(parts(['a.json', doc()], ['b.json', doc({ seed: 2 })]), /a\.json and b\.json .*seeds/);
  refused(
    parts(['s1.json', sharded(doc(), 1, 2)], ['again.json', sharded(doc(), 1, 2)]),
    /s1\.json and again\.json both hold shard 1\/2/,
  );
  refused(
    parts(['s1.json', sharded(doc(), 1, 2)], ['s2of3.json', sharded(doc(), 2, 3)]),
    /s1\.json .*s2of3\.json is shard 2\/3/,
  );
  refused(
    parts(['s1.json', sharded(doc(), 1, 2)], ['whole.json', doc()]),
    /s1\.json is a shard of a run, whole\.json is not/,
  );

  // The worker parent may be left with one document: merged alone, its numbers are its own.
  const alone = doc({ steps: { send: { latenciesMs: latencies(60, 500, 1, 900) } } });
  const single = mergeResults(parts(['worker 1', alone]), { single: true });
  assert.deepEqual(single.steps, alone.steps);
  assert.deepEqual(single.totals, alone.totals);

  // --force lets different seeds through, but never a shard twice.
  const forced = mergeResults(parts(['a.json', doc()], ['b.json', doc({ seed: 2 })]), {
    force: true,
  });
  assert.equal(forced.totals.requests, 6);
  refused(
    parts(['s1.json', sharded(doc(), 1, 2)], ['again.json', sharded(doc(), 1, 2)]),
    /both hold shard 1\/2/,
    true,
  );
});

test('shards that are missing are listed, and a merged document merges again', () => {
  const shard = (index: number) =>
    sharded(
      documentOf({
        startedAt: '2025-01-01T10:00:00.000Z',
        elapsedMs: 1000,
        steps: { send: { latenciesMs: [index, index + 1] } },
      }),
      index,
      4,
    );
  const partial = mergeResults(parts(['s1.json', shard(1)], ['s3.json', shard(3)]));
  assert.deepEqual(partial.merged?.missingShards, [2, 4]);

  // The merge of 1 and 3 counts as shards 1 and 3: adding 2 and 4 completes the run,
  // adding 3 again is refused.
  const complete = mergeResults(
    parts(['s13.json', partial], ['s2.json', shard(2)], ['s4.json', shard(4)]),
  );
  assert.deepEqual(complete.merged?.missingShards, []);
  assert.equal(complete.totals.requests, 8);
  assert.throws(
    () => mergeResults(parts(['s13.json', partial], ['s3.json', shard(3)])),
    /shard 3\/4/,
  );
});

test('chat deliveries are summed and their histograms added', () => {
  const withDelivery = (values: number[], lost: number) => {
    const doc = documentOf({
      startedAt: '2025-01-01T10:00:00.000Z',
      elapsedMs: 1000,
      steps: { send: { latenciesMs: [1] } },
    });
    const histogram = histogramOf(values);
    doc.delivery = {
      posts: 10,
      expected: values.length + lost,
      received: values.length,
      lost,
      late: 0,
      duplicates: 1,
      seqGaps: 0,
      reconnects: 0,
      disconnects: 0,
      deafMs: 0,
      latency: summarize(histogram),
      histogram: encodeHistogram(histogram),
      windowMs: 5000,
    };
    return doc;
  };
  const a = latencies(40, 200, 3, 30);
  const b = latencies(41, 100, 20, 400);
  const merged = mergeResults(
    parts(['a.json', withDelivery(a, 2)], ['b.json', withDelivery(b, 5)]),
  );
  assert.equal(merged.delivery?.received, 300);
  assert.equal(merged.delivery?.lost, 7);
  assert.equal(merged.delivery?.duplicates, 2);
  assert.deepEqual(merged.delivery?.latency, summarize(histogramOf([...a, ...b])));

  const otherWindow = withDelivery(b, 0);
  otherWindow.delivery!.windowMs = 10_000;
  assert.throws(
    () => mergeResults(parts(['a.json', withDelivery(a, 2)], ['b.json', otherWindow])),
    /a\.json and b\.json .*delivery windows/,
  );
});

test('the merge command writes the merged document and exits 0, 1 or 2', async (t) => {
  const dir = tempDir('merge');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const scenario = scenarioYaml('merge-cli', ['errors < 5']);
  const shard = (index: number, errors: number) =>
    sharded(
      documentOf({
        startedAt: `2025-01-01T10:00:0${index}.000Z`,
        elapsedMs: 3000,
        scenario,
        steps: {
          send: {
            latenciesMs: latencies(50 + index, 100, 5, 80),
            errors: { errorClass: 'http4xx', count: errors },
          },
        },
      }),
      index,
      3,
    );
  const write = (name: string, doc: ResultDocument) =>
    writeFileSync(join(dir, name), JSON.stringify(doc, null, 2));
  write('s1.json', shard(1, 1));
  write('s2.json', shard(2, 1));
  write('s3.json', shard(3, 1));
  write('s3-errors.json', shard(3, 4));
  write(
    'other.json',
    documentOf({
      startedAt: '2025-01-01T10:00:00.000Z',
      elapsedMs: 1000,
      steps: { send: { latenciesMs: [1] } },
    }),
  );

  const passed = await runCli(
    ['merge', 's1.json', 's2.json', 's3.json', '-o', 'out/merged.json'],
    dir,
  );
  assert.equal(passed.code, 0, passed.stderr);
  assert.match(
    passed.stderr,
    /chatload: merged 3 results \(shards 1,2,3 of 3\) into out\/merged\.json/,
  );
  assert.match(passed.stdout, /merge-cli/);
  assert.match(passed.stdout, /errors < 5 +│ 3 +│ pass/);
  const written = JSON.parse(readFileSync(join(dir, 'out/merged.json'), 'utf8')) as ResultDocument;
  assert.equal(existsSync(join(dir, 'out/merged.json.partial')), false);
  assert.equal(written.totals.requests, 300);
  assert.equal(written.run.durationMs, 5000);
  assert.deepEqual(
    written.merged?.parts.map((p) => p.file),
    ['s1.json', 's2.json', 's3.json'],
  );

  // 1 + 1 + 4 errors: the re-judged gate fails, the file is still written.
  const failed = await runCli(
    ['merge', 's1.json', 's2.json', 's3-errors.json', '--out', 'f.json', '--json'],
    dir,
  );
  assert.equal(failed.code, 1, failed.stderr);
  const printed = JSON.parse(failed.stdout) as ResultDocument;
  assert.equal(printed.thresholds[0].passed, false);
  assert.equal(printed.thresholds[0].actual, 6);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'f.json'), 'utf8')), printed);

  const missing = await runCli(['merge', 's1.json', 's3.json'], dir);
  assert.equal(missing.code, 0, missing.stderr);
  assert.match(missing.stderr, /warning: shard 2 of 3 missing/);

  const refused = await runCli(['merge', 's1.json', 'other.json', '-o', 'bad.json'], dir);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /chatload: .*s1\.json.*other\.json/);
  assert.equal(existsSync(join(dir, 'bad.json')), false);

  const unreadable = await runCli(['merge', 's1.json', 'nothing.json'], dir);
  assert.equal(unreadable.code, 2);
  assert.match(unreadable.stderr, /nothing\.json/);
});
