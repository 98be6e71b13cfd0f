// The shape of a scenario file, as zod schemas. Each section and each step is checked on its
// own (see load.ts and steps.ts), so one bad section does not hide the problems of another.
// Values written as text (durations, rates) are converted here so the issue lands on the
// field itself.

import { z } from 'zod';
import { describeValue, didYouMean } from './errors.js';
import {
  DURATION_EXPECTED,
  parseDuration,
  parseDurationRange,
  parseRate,
  RANGE_EXPECTED,
  RATE_EXPECTED,
} from './duration.js';
import type { DocPath, Reporter } from './positions.js';

type RawIssue = z.core.$ZodRawIssue;

/**
 * A strict object whose unknown keys are reported one message per key, in key order and
 * joined by newlines: the final issue no longer knows the allowed keys, so the suggestion
 * has to be made here, and `check` splits the lines back onto each key.
 */
export function strictObject<T extends z.core.$ZodLooseShape>(shape: T) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => unknownKeyMessage(key, known)).join('\n')
        : undefined,
  });
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  return `unknown key "${key}": expected one of ${known.join(', ')}${didYouMean(key, known)}`;
}

/** Validates `value` against `schema`, reporting every issue under `path`. */
export function check<T>(
  schema: z.ZodType<T>,
  value: unknown,
  path: DocPath,
  report: Reporter,
): T | undefined {
  const result = schema.safeParse(value, { error: describeIssue });
  if (result.success) return result.data;

  for (const issue of result.error.issues) {
    const at = [...path, ...(issue.path as (string | number)[])];
    if (issue.code !== 'unrecognized_keys') {
      report.add(at, issue.message);
      continue;
    }
    const messages = issue.message.split('\n');
    issue.keys.forEach((key, i) => {
      report.add([...at, key], messages[i] ?? messages[0], { key: true });
    });
  }
  return undefined;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  record: 'a mapping',
};

// zod's own messages name zod's types; these name what a scenario author writes.
function describeIssue(issue: RawIssue): string | undefined {
  const found = describeValue(issue.input);
  switch (issue.code) {
    case 'invalid_type':
      return typeMessage(TYPE_NAMES[issue.expected] ?? issue.expected, issue.input);
    case 'too_small':
      if (issue.origin === 'array') return `expected at least ${issue.minimum} item(s), found none`;
      if (issue.origin === 'string') return 'expected a non-empty string, found ""';
      return `expected a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}, found ${found}`;
    case 'too_big':
      return `expected a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}, found ${found}`;
    case 'invalid_value': {
      const values = issue.values.map(String);
      const typo = typeof issue.input === 'string' ? didYouMean(issue.input, values) : '';
      return `expected one of ${values.join(', ')}, found ${found}${typo}`;
    }
    default:
      return undefined;
  }
}

function typeMessage(expected: string, input: unknown): string {
  if (input === undefined) return `required key is missing: expected ${expected}`;
  return `expected ${expected}, found ${describeValue(input)}`;
}

// zod reports a string where an integer belongs as "expected number": say integer.
const integer = () =>
  z.int({
    error: (issue) =>
      issue.code === 'invalid_type' ? typeMessage('an integer', issue.input) : undefined,
  });

/** A value that needs converting; a failed conversion reports what was expected. */
function converted<T>(expected: string, convert: (value: unknown) => T | undefined) {
  return z.unknown().transform((value, ctx) => {
    const result = value === undefined ? undefined : convert(value);
    if (result !== undefined) return result;
    ctx.addIssue({ code: 'custom', message: typeMessage(expected, value) });
    return z.NEVER;
  });
}

function attempt<T>(parse: () => T): T | undefined {
  try {
    return parse();
  } catch {
    return undefined;
  }
}

const durationText = (value: unknown) =>
  typeof value === 'string' ? attempt(() => parseDuration(value)) : undefined;

export const positiveDuration = converted('a duration above 0 such as 500ms, 30s or 2m', (v) => {
  const ms = durationText(v);
  return ms !== undefined && ms > 0 ? ms : undefined;
});

export const duration = converted(DURATION_EXPECTED, durationText);

/** A timeout: a duration, or `0`, `none` or `off` to disable it (0 ms). */
export const timeout = converted(`${DURATION_EXPECTED}, or 0, none or off`, (value) =>
  value === 0 || value === 'none' || value === 'off' ? 0 : durationText(value),
);

export const rate = converted(RATE_EXPECTED, (value) =>
  typeof value === 'string' ? attempt(() => parseRate(value)) : undefined,
);

export const thinkTime = converted(RANGE_EXPECTED, (value) =>
  typeof value === 'string' ? attempt(() => parseDurationRange(value)) : undefined,
);

export const loopBound = converted(
  'a count such as 3 or a duration such as 10s',
  (value): { count: number } | { durationMs: number } | undefined => {
    if (Number.isInteger(value) && (value as number) >= 1) return { count: value as number };
    const ms = durationText(value);
    return ms !== undefined && ms > 0 ? { durationMs: ms } : undefined;
  },
);

const targetUrl = converted('an http:// or https:// URL such as http://127.0.0.1:8080', (v) => {
  if (typeof v !== 'string') return undefined;
  const url = attempt(() => new URL(v));
  if (url?.protocol !== 'http:' && url?.protocol !== 'https:') return undefined;
  return v.replace(/\/+$/, '');
});

const name = z.string().trim().min(1);

export const stageSchema = strictObject({
  duration: positiveDuration,
  users: integer().min(0).optional(),
  rate: rate.optional(),
});

/** Both models in one object: which keys suit which model is checked with a clear message. */
const load = strictObject({
  model: z.enum(['closed', 'open']),
  users: integer().min(1).optional(),
  startUsers: integer().min(0).optional(),
  rate: rate.optional(),
  startRate: rate.optional(),
  maxUsers: integer().min(1).optional(),
  duration: positiveDuration.optional(),
  iterations: integer().min(1).optional(),
  // Each stage is checked on its own (load-model.ts) so one bad stage hides no other.
  stages: z.array(z.unknown()).min(1).optional(),
});

const data = z.union(
  [
    z.string().min(1),
    strictObject({ file: z.string().min(1), pick: z.enum(['sequential', 'random']).optional() }),
  ],
  {
    error: (issue) =>
      `expected a CSV file name or { file, pick }, found ${describeValue(issue.input)}`,
  },
);

/** The top-level sections; `load` and `flows` are required. */
export const sections = {
  name,
  target: targetUrl,
  load,
  timeouts: strictObject({
    request: timeout.optional(),
    stall: positiveDuration.optional(),
    grace: duration.optional(),
  }),
  http: strictObject({
    connections: z
      .union([integer().min(1), z.literal('per-user')], {
        error: (issue) =>
          `expected a number of connections or "per-user", found ${describeValue(issue.input)}`,
      })
      .optional(),
  }),
  variables: z.record(z.string(), z.unknown()),
  data,
  flows: z.array(z.unknown()).min(1),
  thresholds: z.array(z.string()),
  protocol: z.enum(['http', 'mattermost']),
  // Used only when chatload starts its bundled server (no target): faults to switch on.
  serve: strictObject({ faults: z.array(z.string().min(1)).optional() }),
};

export type LoadSection = z.output<typeof load>;
export type StageSection = z.output<typeof stageSchema>;
export type DataSection = z.output<typeof data>;

export const flowSchema = strictObject({
  name,
  weight: z.number().positive().optional(),
  steps: z.array(z.unknown()).min(1),
});

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'] as const;
export type MethodKey = (typeof HTTP_METHODS)[number];

const statusCode = integer().min(100).max(599);
const headerValue = z.union([z.string(), z.number()], {
  error: (issue) => `expected a header value (a string), found ${describeValue(issue.input)}`,
});

export const httpStepSchema = strictObject({
  get: z.string().optional(),
  post: z.string().optional(),
  put: z.string().optional(),
  patch: z.string().optional(),
  delete: z.string().optional(),
  head: z.string().optional(),
  options: z.string().optional(),
  name: name.optional(),
  headers: z.record(z.string(), headerValue).optional(),
  json: z.unknown().optional(),
  body: z.string().optional(),
  // `exists` lists paths that must be present whatever their value; `json` maps paths to
  // the exact value expected. Keeping them apart avoids reading `{ exists: true }` in `json`
  // as either an equality check on an object or a presence check.
  expect: strictObject({
    status: z
      .union([statusCode, z.array(statusCode).min(1)], {
        error: (issue) =>
          'expected a status code from 100 to 599 or a list of them, ' +
          `found ${describeValue(issue.input)}`,
      })
      .optional(),
    json: z.record(z.string(), z.unknown()).optional(),
    exists: z.array(z.string()).min(1).optional(),
  }).optional(),
  capture: z.record(z.string(), z.string()).optional(),
  timeout: timeout.optional(),
});

export type HttpStepSection = z.output<typeof httpStepSchema>;

export const thinkStepSchema = strictObject({ think: thinkTime });

export const loopStepSchema = strictObject({
  loop: loopBound,
  steps: z.array(z.unknown()).min(1),
});

export const groupStepSchema = strictObject({ group: name, steps: z.array(z.unknown()).min(1) });

// Chat scenarios (`protocol: mattermost`).

const share = z.number().min(0).max(100);

export const chatSection = strictObject({
  setup: strictObject({
    prefix: z
      .string()
      // Mattermost usernames are at most 22 characters: `<prefix>-user-<n>` must fit.
      .regex(/^[a-z][a-z0-9-]{0,9}$/, 'expected up to 10 lower-case letters, digits and -')
      .optional(),
    users: integer().min(1).optional(),
    teams: integer().min(1).max(1).optional(),
    channels: strictObject({
      small: integer().min(1).optional(),
      medium: integer().min(1).optional(),
      large: integer().min(1).optional(),
    }).optional(),
    seedPosts: integer().min(0).optional(),
    password: z.string().min(8).optional(),
    loginRate: rate.optional(),
  }).optional(),
  idle: thinkTime.optional(),
  // Speed factors multiply the idle time; each maps to the percentage of users drawing it.
  speed: z
    .record(z.string().regex(/^x\d+(\.\d+)?$/, 'expected a factor such as x6'), share)
    .optional(),
  actions: strictObject({
    'switch-channel': z.number().min(0).optional(),
    scroll: z.number().min(0).optional(),
    'unread-check': z.number().min(0).optional(),
    post: z.number().min(0).optional(),
    reply: z.number().min(0).optional(),
    react: z.number().min(0).optional(),
    'view-thread': z.number().min(0).optional(),
    search: z.number().min(0).optional(),
    idle: z.number().min(0).optional(),
  }).optional(),
  deliveryWindow: positiveDuration.optional(),
});

export type ChatSection = z.output<typeof chatSection>;

/** Chat steps, by their key; `post` is a chat step only when its value is a mapping. */
export const CHAT_STEP_KEYS = [
  'chat',
  'login',
  'connect',
  'view-channel',
  'react',
  'typing',
  'wait-for',
] as const;

export const chatStepOptions = strictObject({
  name: name.optional(),
  channel: z.string().min(1).optional(),
  message: z.string().optional(),
  emoji: z
    .string()
    .regex(/^[A-Za-z0-9_+-]{1,64}$/, 'expected an emoji name such as +1')
    .optional(),
  event: z.string().min(1).optional(),
  timeout: positiveDuration.optional(),
});
