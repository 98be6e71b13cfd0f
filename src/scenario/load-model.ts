// The `load:` section: how many users (closed model) or how many new iterations per second
// (open model) over time. Both models share one schema, so keys that belong to the other
// model are reported here with a message naming the model they belong to.

import type { DocPath, Reporter } from './positions.js';
import { check, sections, stageSchema } from './schema.js';
import type { LoadSection, StageSection } from './schema.js';
import type { LoadModel } from './types.js';

// An open model needs a ceiling on concurrent iterations, or a stalled target would make it
// start users without bound; 1000 keeps a laptop safe and can be raised with `maxUsers`.
const DEFAULT_MAX_USERS = 1000;

type Model = LoadSection['model'];

interface ModelKeys {
  level: 'users' | 'rate';
  start: 'startUsers' | 'startRate';
  foreign: (keyof LoadSection)[];
  other: Model;
}

const KEYS: Record<Model, ModelKeys> = {
  closed: {
    level: 'users',
    start: 'startUsers',
    foreign: ['rate', 'startRate', 'maxUsers'],
    other: 'open',
  },
  open: { level: 'rate', start: 'startRate', foreign: ['users', 'startUsers'], other: 'closed' },
};

/** Checks and compiles `load:`; undefined when it has problems (all of them reported). */
export function compileLoad(raw: unknown, report: Reporter): LoadModel | undefined {
  const before = report.issues.length;
  const load = check(sections.load, raw, ['load'], report);

  // Stages are checked even when another key of `load` is wrong, as long as the model is
  // known, since which keys a stage needs depends on it.
  const model = load?.model ?? modelOf(raw);
  const rawStages = load?.stages ?? stagesOf(raw);
  const stages = model && rawStages ? checkStages(rawStages, model, report) : undefined;
  if (!load) return undefined;

  checkLoadKeys(load, report);
  if (stages) checkSomethingRuns(load, stages, report);
  if (report.issues.length > before) return undefined;
  return build(load, stages);
}

function modelOf(raw: unknown): Model | undefined {
  const model = (raw as { model?: unknown } | null)?.model;
  return model === 'closed' || model === 'open' ? model : undefined;
}

function stagesOf(raw: unknown): unknown[] | undefined {
  const stages = (raw as { stages?: unknown } | null)?.stages;
  return Array.isArray(stages) ? stages : undefined;
}

// With iterations alone there are no stages: the run ends when every user (closed) or the
// whole run (open) has done its iterations.
function build(load: LoadSection, stages: StageSection[] | undefined): LoadModel {
  const iterations = load.iterations === undefined ? {} : { iterations: load.iterations };
  const single = load.duration === undefined ? [] : [{ duration: load.duration }];

  if (load.model === 'closed') {
    const users = load.users ?? 0;
    return {
      model: 'closed',
      startUsers: stages ? (load.startUsers ?? 0) : users,
      stages: stages
        ? stages.map((stage) => ({ durationMs: stage.duration, users: stage.users ?? 0 }))
        : single.map((stage) => ({ durationMs: stage.duration, users })),
      ...iterations,
    };
  }

  const rate = load.rate ?? 0;
  return {
    model: 'open',
    startRatePerSec: stages ? (load.startRate ?? 0) : rate,
    stages: stages
      ? stages.map((stage) => ({ durationMs: stage.duration, ratePerSec: stage.rate ?? 0 }))
      : single.map((stage) => ({ durationMs: stage.duration, ratePerSec: rate })),
    maxUsers: load.maxUsers ?? DEFAULT_MAX_USERS,
    ...iterations,
  };
}

function checkLoadKeys(load: LoadSection, report: Reporter): void {
  const { level, start, foreign, other } = KEYS[load.model];
  const at = (key: string): DocPath => ['load', key];
  const asKey = { key: true };

  for (const key of foreign) {
    if (load[key] === undefined) continue;
    const message =
      `expected ${level} or stages for model ${load.model}, found ${key}, ` +
      `which belongs to model ${other}`;
    report.add(at(key), message, asKey);
  }
  if (load[level] !== undefined && load.stages) {
    report.add(at('stages'), `expected ${level} or stages, found both`, asKey);
  }
  if (load[level] === undefined && !load.stages) {
    report.add(['load'], `expected ${level} or stages for model ${load.model}, found neither`);
  }
  if (load.stages && load.duration !== undefined) {
    const message = 'expected duration or stages, found both: each stage has its own duration';
    report.add(at('duration'), message, asKey);
  }
  if (load[start] !== undefined && !load.stages) {
    report.add(at(start), `expected ${start} only with stages, found it with ${level}`, asKey);
  }
  if (load.duration === undefined && load.iterations === undefined && !load.stages) {
    report.add(['load'], 'the run would never end: expected duration, iterations or stages');
  }
}

/** Checks each stage; returns them all when every one is sound. */
function checkStages(raw: unknown[], model: Model, report: Reporter): StageSection[] | undefined {
  const { level, other } = KEYS[model];
  const otherLevel = KEYS[other].level;
  const stages: StageSection[] = [];

  raw.forEach((rawStage, i) => {
    const at: DocPath = ['load', 'stages', i];
    const stage = check(stageSchema, rawStage, at, report);
    if (!stage) return;

    let sound = true;
    if (stage[level] === undefined) {
      report.add(at, `required key is missing: expected ${level} in each stage of model ${model}`);
      sound = false;
    }
    if (stage[otherLevel] !== undefined) {
      const message = `expected ${level} for model ${model}, found ${otherLevel}`;
      report.add([...at, otherLevel], message, { key: true });
      sound = false;
    }
    if (sound) stages.push(stage);
  });
  return stages.length === raw.length ? stages : undefined;
}

function checkSomethingRuns(load: LoadSection, stages: StageSection[], report: Reporter): void {
  const { level, start } = KEYS[load.model];
  const levels = [load[start] ?? 0, ...stages.map((stage) => stage[level] ?? 0)];
  if (levels.some((value) => value > 0)) return;
  report.add(
    ['load', 'stages'],
    `expected a stage with ${level} above 0, found 0 in every ` +
      'stage: the run would send nothing',
  );
}
