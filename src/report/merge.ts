// Merging result documents. A run split into shards (`run --shard I/N`, each on its own
// machine) or into worker threads leaves one complete result document per part;
// `mergeResults` folds them into one document, as if a single generator had sent all the
// load. It is pure (no I/O): `chatload merge` and the worker parent both call it.
//
// Counts are summed and histograms added, so every latency figure of the steps, the totals
// and the deliveries is exact: the same as one histogram holding every sample of every part.
// Times are put on one axis: the merged run starts when the earliest part started, and each
// part's own times (stall starts, freezes, timeline seconds, worker failures) are shifted by
// how much later than that its run started. The wall clocks of the machines are trusted for
// this; clocks that disagree by a second shift a part's timeline by a second.
//
// What is not exact, and is said where it happens: a timeline point's per-step p50/p99
// (the points keep no per-step histogram, so the merge takes the highest of the parts'
// values, an upper bound), and the `requestsHeld` of a merged freeze (a sum of peaks).

import { UsageError } from '../cli/exit-codes.js';
import {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  mergeHistograms,
  percentileMs,
  summarize,
  type Histogram,
  type LatencySummary,
} from '../metrics/histogram.js';
import type { DeliveryCounts } from '../metrics/delivery.js';
import { STALL_LIST_LIMIT, type Freeze, type StallRecord } from '../metrics/inflight.js';
import { ERROR_CLASSES, emptyErrorCounts, type ErrorCounts } from '../metrics/step-metrics.js';
import type { StepInterval, TimelinePoint } from '../metrics/timeline.js';
import type { Threshold } from '../scenario/types.js';
import { parseThreshold } from '../scenario/threshold.js';
import { TOOL_VERSION } from '../version.js';
import { judge } from './gates.js';
import {
  RESULT_SCHEMA,
  viewOfResult,
  type DeliveryResult,
  type MergedPart,
  type ResultDocument,
  type ShardInfo,
  type StepResult,
  type WorkersInfo,
} from './result.js';

/** One document to merge; `label` names it in messages and in `merged.parts` (a file name). */
export interface MergeInput {
  doc: ResultDocument;
  label: string;
}

export interface MergeOptions {
  /** Merge parts whose seeds, target, timeouts or connections differ. */
  force?: boolean;
  /** Accept a single part (the worker parent, when only one worker's document is left). */
  single?: boolean;
}

/** A part placed on the merged time axis: it started `offsetMs` after the earliest one. */
interface Placed extends MergeInput {
  offsetMs: number;
}

/**
 * Merges the result documents of the parts of one run. Throws a UsageError naming the
 * files when they are not parts of one run: different scenarios, or shards that clash.
 * Shards that are missing are allowed; they are listed in `merged.missingShards`.
 */
export function mergeResults(parts: MergeInput[], options: MergeOptions = {}): ResultDocument {
  checkSameRun(parts, options);
  const missingShards = checkShards(parts);
  const { placed, startMs, endMs } = placeOnOneAxis(parts);
  const first = parts[0].doc;
  const durationMs = endMs - startMs;
  const durationSec = durationMs / 1000;

  const steps = mergeSteps(placed, durationSec);
  const delivery = mergeDelivery(placed);
  const setup = parts.find((part) => part.doc.setup !== undefined)?.doc.setup;
  const workers = mergeWorkers(placed);
  const thresholds = thresholdsOf(parts);

  // `inflation` (from `run --probe-baseline`) is dropped: it compares each part with one
  // probe, and the merged p50s would need the probe again to be compared honestly.
  const merged: ResultDocument = {
    schema: RESULT_SCHEMA,
    tool: { name: 'chatload', version: TOOL_VERSION },
    scenario: first.scenario,
    config: { ...first.config, thresholds: thresholds.map((t) => t.source) },
    environment: first.environment,
    run: {
      startedAt: new Date(startMs).toISOString(),
      endedAt: new Date(endMs).toISOString(),
      durationMs,
      plannedMs: plannedMsOf(parts),
      stopReason: stopReasonOf(parts),
      abortMessage: parts.find((part) => part.doc.run.abortMessage)?.doc.run.abortMessage ?? null,
      iterationsStarted: sum(parts, (part) => part.doc.run.iterationsStarted),
      iterationsCompleted: sum(parts, (part) => part.doc.run.iterationsCompleted),
    },
    totals: totalsOf(
      steps,
      sum(parts, (part) => part.doc.totals.dropped),
      durationSec,
    ),
    steps: steps.map((step) => step.result),
    histograms: {
      unit: 'microseconds',
      encoding: 'hdr-compressed-base64',
      steps: Object.fromEntries(
        steps.map((step) => [
          step.result.name,
          { latency: encodeHistogram(step.latency), service: encodeHistogram(step.service) },
        ]),
      ),
    },
    stalls: mergeStalls(placed),
    freezes: mergeFreezes(placed, durationMs, first.config.timeouts.stallMs),
    thresholds: [],
    timeline: mergeTimelines(placed),
    ...(delivery ? { delivery } : {}),
    ...(setup ? { setup } : {}),
    generator: {
      cpuSeconds: round3(sum(parts, (part) => part.doc.generator.cpuSeconds)),
      maxEventLoopDelayMs: Math.max(...parts.map((p) => p.doc.generator.maxEventLoopDelayMs)),
      internalErrors: parts.flatMap((part) => part.doc.generator.internalErrors).slice(0, 20),
    },
    ...(workers ? { workers } : {}),
    merged: { parts: parts.map(mergedPartOf), missingShards },
  };

  // Judged again on the merged numbers: a p99 each part passes can fail for the whole.
  merged.thresholds = judge(thresholds, viewOfResult(merged));
  return merged;
}

// ---------------------------------------------------------------------------------------
// Refusals

function checkSameRun(parts: MergeInput[], { force, single }: MergeOptions): void {
  const least = single ? 1 : 2;
  if (parts.length < least) {
    const found = parts.length === 0 ? 'none' : `only ${parts[0].label}`;
    throw new UsageError(
      `merge: expected at least ${least} result document${least === 1 ? '' : 's'}, found ${found}`,
    );
  }

  const [first, ...rest] = parts;
  for (const part of rest) {
    const refuse = (why: string): never => {
      throw new UsageError(`${first.label} and ${part.label} cannot be merged: ${why}`);
    };
    const a = first.doc;
    const b = part.doc;
    if (a.scenario.name !== b.scenario.name) {
      refuse(`they ran different scenarios ("${a.scenario.name}" and "${b.scenario.name}")`);
    }
    if (JSON.stringify(a.scenario.definition) !== JSON.stringify(b.scenario.definition)) {
      refuse(`the definitions of scenario "${a.scenario.name}" differ (edited between runs?)`);
    }
    if (a.config.latencyFrom !== b.config.latencyFrom) {
      refuse(
        `one measured latency from the ${a.config.latencyFrom} time and the other from the ` +
          `${b.config.latencyFrom} time`,
      );
    }
    if (force === true) continue;

    const forceHint = ' (pass --force to merge them anyway)';
    if (a.config.seed !== b.config.seed) {
      refuse(`they ran with different seeds (${a.config.seed} and ${b.config.seed})${forceHint}`);
    }
    for (const field of ['target', 'timeouts', 'connections'] as const) {
      const left = JSON.stringify(a.config[field]);
      const right = JSON.stringify(b.config[field]);
      if (left !== right) refuse(`config.${field} differs (${left} and ${right})${forceHint}`);
    }
  }
}

/**
 * Shards must come from one split (`run --shard I/N` with the same N), each at most once,
 * and not be mixed with unsharded results. A document that is itself a merge counts as the
 * shards it was merged from. Returns the shards of 1..N that no part covers.
 */
function checkShards(parts: MergeInput[]): number[] {
  const covered = parts.map((part) => ({ part, shards: shardsCoveredBy(part.doc) }));
  const sharded = covered.filter((entry) => entry.shards.length > 0);
  if (sharded.length === 0) return [];

  if (sharded.length < parts.length) {
    const unsharded = covered.filter((entry) => entry.shards.length === 0);
    throw new UsageError(
      `cannot merge shards with whole runs: ${labels(sharded.map((e) => e.part))} ` +
        `${sharded.length === 1 ? 'is a shard' : 'are shards'} of a run, ` +
        `${labels(unsharded.map((e) => e.part))} ${unsharded.length === 1 ? 'is' : 'are'} not`,
    );
  }

  const count = sharded[0].shards[0].count;
  const owner = new Map<number, string>();
  for (const { part, shards } of covered) {
    for (const shard of shards) {
      if (shard.count !== count) {
        throw new UsageError(
          `cannot merge shards of different splits: ${sharded[0].part.label} is a shard of ` +
            `${count}, ${part.label} is shard ${shard.index}/${shard.count}`,
        );
      }
      if (!Number.isInteger(shard.index) || shard.index < 1 || shard.index > count) {
        throw new UsageError(
          `${part.label}: expected a shard index from 1 to ${count}, found ${shard.index}`,
        );
      }
      const claimedBy = owner.get(shard.index);
      if (claimedBy !== undefined) {
        const both =
          claimedBy === part.label ? `${part.label} twice` : `${claimedBy} and ${part.label}`;
        throw new UsageError(
          `cannot merge: ${both} both hold shard ${shard.index}/${count} ` +
            '(its users would be counted twice)',
        );
      }
      owner.set(shard.index, part.label);
    }
  }

  const missing: number[] = [];
  for (let index = 1; index <= count; index++) if (!owner.has(index)) missing.push(index);
  return missing;
}

/** The shards a document holds: its own, or those of the parts it was merged from. */
export function shardsCoveredBy(doc: ResultDocument): ShardInfo[] {
  if (doc.shard) return [doc.shard];
  return (doc.merged?.parts ?? []).flatMap((part) => (part.shard ? [part.shard] : []));
}

function labels(parts: MergeInput[]): string {
  return parts.map((part) => part.label).join(', ');
}

// ---------------------------------------------------------------------------------------
// The time axis and the run

function placeOnOneAxis(parts: MergeInput[]) {
  const times = parts.map((part) => ({
    start: parseTime(part, 'run.startedAt', part.doc.run.startedAt),
    end: parseTime(part, 'run.endedAt', part.doc.run.endedAt),
  }));
  const startMs = Math.min(...times.map((t) => t.start));
  const endMs = Math.max(...times.map((t) => t.end));
  const placed: Placed[] = parts.map((part, i) => ({
    ...part,
    offsetMs: times[i].start - startMs,
  }));
  return { placed, startMs, endMs };
}

function parseTime(part: MergeInput, field: string, value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `${part.label}: ${field}: expected an ISO date, found ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

function plannedMsOf(parts: MergeInput[]): number | null {
  const planned = parts.map((part) => part.doc.run.plannedMs).filter((ms) => ms !== null);
  return planned.length === 0 ? null : Math.max(...planned);
}

/** The most severe: one interrupted part leaves the whole run short. */
function stopReasonOf(parts: MergeInput[]): string {
  const reasons = new Set(parts.map((part) => part.doc.run.stopReason));
  if (reasons.has('interrupted')) return 'interrupted';
  if (reasons.has('aborted')) return 'aborted';
  return 'completed';
}

function mergedPartOf(part: MergeInput): MergedPart {
  return {
    file: part.label,
    shard: part.doc.shard ?? null,
    startedAt: part.doc.run.startedAt,
    requests: part.doc.totals.requests,
  };
}

// ---------------------------------------------------------------------------------------
// Steps and totals

interface MergedStep {
  result: StepResult;
  latency: Histogram;
  service: Histogram;
  /** The parts' own summaries, for the exact extremes (see summaryOf). */
  latencyParts: Measured[];
  serviceParts: Measured[];
}

function mergeSteps(parts: Placed[], durationSec: number): MergedStep[] {
  const byName = new Map<string, MergedStep>();
  for (const part of parts) {
    for (const step of part.doc.steps) {
      const encoded = part.doc.histograms.steps[step.name];
      const field = `histograms.steps[${JSON.stringify(step.name)}]`;
      const latency = decode(part.label, `${field}.latency`, encoded?.latency);
      const service = decode(part.label, `${field}.service`, encoded?.service);

      const merged = byName.get(step.name) ?? newStep(step.name);
      byName.set(step.name, merged);
      const into = merged.result;
      into.count += step.count;
      into.completed += step.completed;
      into.errors += step.errors;
      for (const errorClass of ERROR_CLASSES) {
        into.errorsByClass[errorClass] += step.errorsByClass[errorClass] ?? 0;
      }
      into.stalled += step.stalled;
      into.stalls.recovered += step.stalls.recovered;
      into.stalls.timedOut += step.stalls.timedOut;
      into.stalls.neverCompleted += step.stalls.neverCompleted;
      merged.latency.add(latency);
      merged.service.add(service);
      merged.latencyParts.push({ summary: step.latency, count: latency.totalCount });
      merged.serviceParts.push({ summary: step.service, count: service.totalCount });
    }
  }

  for (const merged of byName.values()) {
    const result = merged.result;
    result.rps = round3(result.completed / Math.max(durationSec, 1e-3));
    result.latency = summaryOf(merged.latency, merged.latencyParts);
    result.service = summaryOf(merged.service, merged.serviceParts);
  }
  return [...byName.values()];
}

function newStep(name: string): MergedStep {
  const empty = summarize(createHistogram());
  return {
    result: {
      name,
      count: 0,
      completed: 0,
      errors: 0,
      errorsByClass: emptyErrorCounts(),
      stalled: 0,
      stalls: { recovered: 0, timedOut: 0, neverCompleted: 0 },
      rps: 0,
      latency: empty,
      service: empty,
    },
    latency: createHistogram(),
    service: createHistogram(),
    latencyParts: [],
    serviceParts: [],
  };
}

// The same figures buildResult computes from a live run (result.ts `totalsOf`), here from
// the merged steps; the two must stay in step if either changes.
function totalsOf(steps: MergedStep[], dropped: number, durationSec: number) {
  const results = steps.map((step) => step.result);
  const total = (pick: (step: StepResult) => number) => sum(results, pick);
  const errorsByClass: ErrorCounts = emptyErrorCounts();
  for (const errorClass of ERROR_CLASSES) {
    errorsByClass[errorClass] = total((step) => step.errorsByClass[errorClass]);
  }
  const completed = total((step) => step.completed);
  const errors = total((step) => step.errors);
  return {
    requests: total((step) => step.count),
    completed,
    errors,
    errorRate: completed > 0 ? round3((errors / completed) * 100) : 0,
    errorsByClass,
    stalled: total((step) => step.stalled),
    stalls: {
      recovered: total((step) => step.stalls.recovered),
      timedOut: total((step) => step.stalls.timedOut),
      neverCompleted: total((step) => step.stalls.neverCompleted),
    },
    dropped,
    rps: round3(completed / Math.max(durationSec, 1e-3)),
    latency: summaryOf(
      mergeHistograms(steps.map((step) => step.latency)),
      steps.map((step) => ({ summary: step.result.latency, count: step.latency.totalCount })),
    ),
    service: summaryOf(
      mergeHistograms(steps.map((step) => step.service)),
      steps.map((step) => ({ summary: step.result.service, count: step.service.totalCount })),
    ),
  };
}

/** A summary of a histogram that holds `count` values. */
interface Measured {
  summary: LatencySummary;
  count: number;
}

/**
 * The summary of a merged histogram. Read back from its encoded form, a histogram knows its
 * smallest and largest value only to 3 significant digits, while each part's summary was
 * taken from the live histogram and holds them exactly: the merge keeps those (the least
 * min, the greatest max), so that `max` is still the slowest request, as in one run.
 */
function summaryOf(histogram: Histogram, parts: Measured[]): LatencySummary {
  const summary = summarize(histogram);
  const measured = parts.filter((part) => part.count > 0);
  if (measured.length === 0) return summary;
  return {
    ...summary,
    min: Math.min(...measured.map((part) => part.summary.min)),
    max: Math.max(...measured.map((part) => part.summary.max)),
  };
}

// ---------------------------------------------------------------------------------------
// Stalls and freezes

function mergeStalls(parts: Placed[]): ResultDocument['stalls'] {
  const list: StallRecord[] = [];
  let notListed = 0;
  for (const part of parts) {
    notListed += part.doc.stalls.notListed;
    for (const record of part.doc.stalls.list) {
      list.push({ ...record, startMs: record.startMs + part.offsetMs });
    }
  }
  list.sort((a, b) => a.startMs - b.startMs);
  // The earliest are kept, as the tracker of a single run keeps the first ones.
  const overflow = Math.max(0, list.length - STALL_LIST_LIMIT);
  return { list: list.slice(0, STALL_LIST_LIMIT), notListed: notListed + overflow };
}

interface Span {
  start: number;
  end: number;
}

/**
 * A freeze means nothing completed anywhere while requests were in flight. With several
 * generators that holds only where every part was frozen at the same time, so the merged
 * freezes are the intersection of the parts' freezes on the merged axis. A part that had
 * not started yet, or had already ended, completes nothing and so does not break the
 * others' freeze: the intersection is taken over the parts running at each moment.
 * As for one generator, a silence counts only when it is longer than the stall limit; a
 * short overlap of two freezes is not one (each part completed something around it).
 * `requestsHeld` sums the held counts of the parts' freezes that overlap the merged one:
 * each is that part's peak, and the peaks need not fall at the same moment, so the sum
 * is an upper bound of what was held at once.
 */
function mergeFreezes(parts: Placed[], durationMs: number, stallMs: number): Freeze[] {
  const lanes = parts.map((part) => ({
    running: { start: part.offsetMs, end: part.offsetMs + part.doc.run.durationMs },
    freezes: part.doc.freezes.map((freeze) => ({
      start: freeze.startMs + part.offsetMs,
      end: freeze.startMs + part.offsetMs + freeze.lengthMs,
      held: freeze.requestsHeld,
    })),
  }));

  const cuts = new Set<number>([0, durationMs]);
  for (const lane of lanes) {
    cuts.add(lane.running.start).add(lane.running.end);
    for (const freeze of lane.freezes) cuts.add(freeze.start).add(freeze.end);
  }
  const sorted = [...cuts].sort((a, b) => a - b);

  // Between two neighbouring cuts each part is in one state throughout: test the middle.
  const frozenSpans: Span[] = [];
  for (let i = 0; i + 1 < sorted.length; i++) {
    const span = { start: sorted[i], end: sorted[i + 1] };
    const middle = (span.start + span.end) / 2;
    const frozen = lanes.filter((lane) => lane.freezes.some((f) => contains(f, middle)));
    const busy = lanes.filter((lane) => contains(lane.running, middle) && !frozen.includes(lane));
    if (frozen.length === 0 || busy.length > 0) continue;
    const last = frozenSpans[frozenSpans.length - 1];
    if (last !== undefined && last.end === span.start) last.end = span.end;
    else frozenSpans.push(span);
  }

  return frozenSpans
    .filter((span) => span.end - span.start > stallMs)
    .map((span) => ({
      startMs: span.start,
      lengthMs: span.end - span.start,
      requestsHeld: sum(
        lanes.flatMap((lane) =>
          lane.freezes.filter((f) => f.start < span.end && span.start < f.end),
        ),
        (freeze) => freeze.held,
      ),
    }));
}

function contains(span: Span, at: number): boolean {
  return span.start <= at && at < span.end;
}

// ---------------------------------------------------------------------------------------
// The timeline

interface Contribution {
  point: TimelinePoint;
  /** The point's `t` on the merged axis. */
  t: number;
  /** Names the point's document in messages. */
  label: string;
}

/**
 * Each part's points are put into whole-second slots of the merged axis by where their
 * interval starts (t − seconds, shifted by the part's offset, rounded): the short last
 * interval of a part then gets a slot of its own instead of landing on the one before it.
 * A part never puts two points into one slot; if jitter would, the later moves on by one.
 */
function mergeTimelines(parts: Placed[]): TimelinePoint[] {
  const slots = new Map<number, (Contribution & { part: number })[]>();
  parts.forEach((part, index) => {
    const offsetSec = part.offsetMs / 1000;
    let previous = Number.NEGATIVE_INFINITY;
    for (const point of part.doc.timeline) {
      const slot = Math.max(Math.round(point.t - point.seconds + offsetSec), previous + 1);
      previous = slot;
      const contribution = { part: index, point, t: point.t + offsetSec, label: part.label };
      const inSlot = slots.get(slot);
      if (inSlot === undefined) slots.set(slot, [contribution]);
      else inSlot.push(contribution);
    }
  });

  // stalledTotal is a running count: a part without a point in a slot (ended, or not yet
  // started) still adds the total of its last point.
  const lastStalledTotal = parts.map(() => 0);
  return [...slots.keys()]
    .sort((a, b) => a - b)
    .map((slot) => {
      const contributions = slots.get(slot)!;
      for (const { part, point } of contributions) lastStalledTotal[part] = point.stalledTotal;
      return combinePoints(
        contributions,
        sum(lastStalledTotal, (total) => total),
      );
    });
}

/**
 * The points of one interval from several generators (the worker threads of a run, each
 * second) added into one: histograms added, counts and gauges summed, as `mergeResults`
 * adds the points that share a second. Throws on an empty list.
 */
export function addTimelinePoints(points: TimelinePoint[]): TimelinePoint {
  if (points.length === 0) throw new Error('addTimelinePoints: expected at least one point');
  const contributions = points.map((point, i) => ({
    point,
    t: point.t,
    label: `timeline point ${i + 1} of ${points.length}`,
  }));
  return combinePoints(
    contributions,
    sum(points, (point) => point.stalledTotal),
  );
}

function combinePoints(contributions: Contribution[], stalledTotal: number): TimelinePoint {
  const points = contributions.map((c) => c.point);
  const total = (pick: (point: TimelinePoint) => number) => sum(points, pick);
  const highest = (pick: (point: TimelinePoint) => number) => Math.max(...points.map(pick));
  const seconds = highest((point) => point.seconds);
  const requests = total((point) => point.requests);
  const histogram = addEncoded(contributions, (point) => point.hist, 'hist');

  // Without every contributor's histogram the percentiles cannot be recomputed; the
  // highest of the parts' values is then an upper bound of the merged one.
  const latency = histogram
    ? {
        p50: percentileMs(histogram, 50),
        p90: percentileMs(histogram, 90),
        p99: percentileMs(histogram, 99),
        max: percentileMs(histogram, 100),
      }
    : {
        p50: highest((point) => point.p50),
        p90: highest((point) => point.p90),
        p99: highest((point) => point.p99),
        max: highest((point) => point.max),
      };

  const merged: TimelinePoint = {
    t: round3(Math.max(...contributions.map((c) => c.t))),
    seconds: round3(seconds),
    users: total((point) => point.users),
    target: round3(total((point) => point.target)),
    requests,
    errors: total((point) => point.errors),
    rps: round3(requests / Math.max(seconds, 1e-3)),
    ...latency,
    inFlight: total((point) => point.inFlight),
    stalledNow: total((point) => point.stalledNow),
    stalledTotal,
    dropped: total((point) => point.dropped),
    // Frozen only when every part with a point here was: one that completed breaks it.
    freezeMs: Math.min(...points.map((point) => point.freezeMs)),
    cpu: round3(total((point) => point.cpu)),
    loopDelayP99: highest((point) => point.loopDelayP99),
    steps: combineStepIntervals(points),
  };
  if (histogram) merged.hist = encodeHistogram(histogram);
  const delivery = combineDelivery(contributions);
  if (delivery) merged.delivery = delivery;
  return merged;
}

/**
 * Counts are summed and `max` is exact; p50 and p99 are the highest of the parts' values,
 * an upper bound, because timeline points carry no per-step histogram.
 */
function combineStepIntervals(points: TimelinePoint[]): Record<string, StepInterval> {
  const steps: Record<string, StepInterval> = {};
  for (const point of points) {
    for (const [name, step] of Object.entries(point.steps)) {
      const into = steps[name];
      if (into === undefined) {
        steps[name] = { ...step };
        continue;
      }
      into.count += step.count;
      into.errors += step.errors;
      into.p50 = Math.max(into.p50, step.p50);
      into.p99 = Math.max(into.p99, step.p99);
      into.max = Math.max(into.max, step.max);
    }
  }
  return steps;
}

function combineDelivery(contributions: Contribution[]): TimelinePoint['delivery'] | undefined {
  const withDelivery = contributions.filter((c) => c.point.delivery !== undefined);
  if (withDelivery.length === 0) return undefined;
  const deliveries = withDelivery.map((c) => c.point.delivery!);
  const histogram = addEncoded(withDelivery, (point) => point.delivery!.hist, 'delivery.hist');
  const highest = (pick: (d: (typeof deliveries)[number]) => number) =>
    Math.max(...deliveries.map(pick));
  return {
    received: sum(deliveries, (d) => d.received),
    p50: histogram ? percentileMs(histogram, 50) : highest((d) => d.p50),
    p99: histogram ? percentileMs(histogram, 99) : highest((d) => d.p99),
    lost: sum(deliveries, (d) => d.lost),
    sockets: sum(deliveries, (d) => d.sockets),
    ...(histogram ? { hist: encodeHistogram(histogram) } : {}),
  };
}

/** The sum of the contributors' interval histograms, or undefined if one has none. */
function addEncoded(
  contributions: Contribution[],
  pick: (point: TimelinePoint) => string | undefined,
  field: string,
): Histogram | undefined {
  const encoded = contributions.map((c) => pick(c.point));
  if (encoded.some((text) => text === undefined)) return undefined;
  return mergeHistograms(
    contributions.map((c, i) =>
      decode(c.label, `timeline point t=${c.point.t}: ${field}`, encoded[i]),
    ),
  );
}

// ---------------------------------------------------------------------------------------
// Deliveries, workers, thresholds

// Every count of DeliveryCounts, so that a new one cannot be forgotten here.
const DELIVERY_COUNT_FIELDS: Record<keyof DeliveryCounts, true> = {
  posts: true,
  expected: true,
  received: true,
  lost: true,
  late: true,
  duplicates: true,
  seqGaps: true,
  reconnects: true,
  disconnects: true,
  deafMs: true,
};

function mergeDelivery(parts: Placed[]): DeliveryResult | undefined {
  const withDelivery = parts.filter((part) => part.doc.delivery !== undefined);
  if (withDelivery.length === 0) return undefined;
  if (withDelivery.length < parts.length) {
    const without = parts.filter((part) => part.doc.delivery === undefined);
    throw new UsageError(
      `cannot merge: ${labels(withDelivery)} measured chat deliveries, ${labels(without)} did not`,
    );
  }

  const windowMs = withDelivery[0].doc.delivery!.windowMs;
  const odd = withDelivery.find((part) => part.doc.delivery!.windowMs !== windowMs);
  if (odd !== undefined) {
    throw new UsageError(
      `${withDelivery[0].label} and ${odd.label} cannot be merged: their delivery windows ` +
        `differ (${windowMs}ms and ${odd.doc.delivery!.windowMs}ms)`,
    );
  }

  const counts = {} as DeliveryCounts;
  for (const field of Object.keys(DELIVERY_COUNT_FIELDS) as (keyof DeliveryCounts)[]) {
    counts[field] = sum(withDelivery, (part) => part.doc.delivery![field] ?? 0);
  }
  const histograms = withDelivery.map((part) =>
    decode(part.label, 'delivery.histogram', part.doc.delivery!.histogram),
  );
  const latency = summaryOf(
    mergeHistograms(histograms),
    withDelivery.map((part, i) => ({
      summary: part.doc.delivery!.latency,
      count: histograms[i].totalCount,
    })),
  );
  return {
    ...counts,
    latency,
    histogram: encodeHistogram(mergeHistograms(histograms)),
    windowMs,
  };
}

function mergeWorkers(parts: Placed[]): WorkersInfo | undefined {
  const withWorkers = parts.filter((part) => part.doc.workers !== undefined);
  if (withWorkers.length === 0) return undefined;
  return {
    count: sum(withWorkers, (part) => part.doc.workers!.count),
    failures: withWorkers.flatMap((part) =>
      part.doc.workers!.failures.map((failure) => ({
        ...failure,
        atMs: failure.atMs + part.offsetMs,
        error: `${failure.error} (in ${part.label})`,
      })),
    ),
  };
}

/** The gates of every part, each once, in the order first seen. */
function thresholdsOf(parts: MergeInput[]): Threshold[] {
  const seen = new Map<string, Threshold>();
  for (const part of parts) {
    for (const expression of part.doc.config.thresholds) {
      if (seen.has(expression)) continue;
      try {
        seen.set(expression, parseThreshold(expression));
      } catch (error) {
        throw new UsageError(
          `${part.label}: config.thresholds: cannot parse "${expression}": ` +
            (error as Error).message,
        );
      }
    }
  }
  return [...seen.values()];
}

// ---------------------------------------------------------------------------------------
// Small helpers

function decode(label: string, field: string, encoded: string | undefined): Histogram {
  if (typeof encoded !== 'string') {
    throw new UsageError(`${label}: ${field}: expected an encoded histogram, found none`);
  }
  try {
    return decodeHistogram(encoded);
  } catch (error) {
    throw new UsageError(
      `${label}: ${field}: expected an encoded histogram, found one that does not ` +
        `decode (${(error as Error).message})`,
    );
  }
}

function sum<T>(items: readonly T[], pick: (item: T) => number): number {
  let total = 0;
  for (const item of items) total += pick(item);
  return total;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
