// Compiles the steps of a flow. A step's kind is decided by which key it has (`get`,
// `think`, `loop`, ...), and only then is it checked against that kind's schema: a single
// union schema would answer a typo with "no union member matched", which helps nobody.

import { describeValue, didYouMean } from './errors.js';
import type { DocPath, Reporter } from './positions.js';
import {
  CHAT_STEP_KEYS,
  chatStepOptions,
  check,
  groupStepSchema,
  HTTP_METHODS,
  httpStepSchema,
  loopStepSchema,
  thinkStepSchema,
} from './schema.js';
import type { HttpStepSection, MethodKey } from './schema.js';
import {
  compileJsonTemplate,
  compileTemplate,
  JsonTemplateError,
  RESERVED_NAMES,
  TemplateError,
} from './template.js';
import type { TemplateNames } from './template.js';
import type {
  CaptureSource,
  ChatStep,
  HttpMethod,
  HttpStep,
  JsonExpectation,
  JsonTemplate,
  Step,
  Template,
} from './types.js';

export interface StepScope {
  report: Reporter;
  names: TemplateNames;
  /** True in `protocol: mattermost` scenarios, where chat steps are allowed. */
  chat?: boolean;
}

const KIND_KEYS: readonly string[] = [...HTTP_METHODS, 'think', 'loop', 'group', ...CHAT_STEP_KEYS];
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Compiles a list of steps; steps with problems are reported and left out. */
export function compileSteps(raw: unknown[], path: DocPath, scope: StepScope): Step[] {
  const steps: Step[] = [];
  raw.forEach((item, i) => {
    const step = compileStep(item, [...path, i], scope);
    if (step) steps.push(step);
  });
  return steps;
}

function compileStep(raw: unknown, path: DocPath, scope: StepScope): Step | undefined {
  const kind = stepKind(raw, path, scope.report);
  if (kind === undefined) return undefined;

  if (kind === 'think') {
    const step = check(thinkStepSchema, raw, path, scope.report);
    return step && { kind: 'think', ...step.think };
  }
  const inner = (steps: unknown[]) => compileSteps(steps, [...path, 'steps'], scope);
  if (kind === 'loop') {
    const step = check(loopStepSchema, raw, path, scope.report);
    return step && { kind: 'loop', ...step.loop, steps: inner(step.steps) };
  }
  if (kind === 'group') {
    const step = check(groupStepSchema, raw, path, scope.report);
    return step && { kind: 'group', name: step.group, steps: inner(step.steps) };
  }
  const value = (raw as Record<string, unknown>)[kind];
  const chatPost = kind === 'post' && value !== null && typeof value === 'object';
  if (chatPost || (CHAT_STEP_KEYS as readonly string[]).includes(kind)) {
    const extra = Object.keys(raw as object).filter((k) => k !== kind);
    for (const key of extra) {
      scope.report.add(
        [...path, key],
        `unknown key "${key}" beside ${kind}: a chat step's options go inside it, ` +
          `such as ${kind}: { ${key}: … }`,
        { key: true },
      );
    }
    return compileChatStep(kind, value, path, scope);
  }

  const step = check(httpStepSchema, raw, path, scope.report);
  return step && compileHttpStep(step, kind, path, scope);
}

function stepKind(raw: unknown, path: DocPath, report: Reporter): string | undefined {
  const expected =
    'expected a step with one of get, post, put, patch, delete, head, ' +
    'options, think, loop or group';
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    report.add(path, `${expected}, found ${describeValue(raw)}`);
    return undefined;
  }

  const keys = Object.keys(raw);
  const kinds = keys.filter((key) => KIND_KEYS.includes(key));
  if (kinds.length === 1) return kinds[0];

  if (kinds.length > 1) {
    report.add(
      [...path, kinds[1]],
      `a step has exactly one kind: expected one of ${kinds.join(' or ')}, found both`,
      { key: true },
    );
    return undefined;
  }
  const typo = keys.find((key) => didYouMean(key, KIND_KEYS));
  if (typo === undefined) {
    report.add(path, `${expected}, found keys ${keys.join(', ') || 'none'}`);
  } else {
    report.add([...path, typo], `${expected}, found "${typo}"${didYouMean(typo, KIND_KEYS)}`, {
      key: true,
    });
  }
  return undefined;
}

const CHAT_ACTIONS: Record<string, ChatStep['action']> = {
  chat: 'live',
  login: 'login',
  connect: 'connect',
  post: 'post',
  'view-channel': 'view-channel',
  react: 'react',
  typing: 'typing',
  'wait-for': 'wait-for',
};

function compileChatStep(
  key: string,
  value: unknown,
  path: DocPath,
  scope: StepScope,
): ChatStep | undefined {
  const { report } = scope;
  if (!scope.chat) {
    const what = key === 'post' ? 'a chat post (post with a mapping)' : `the chat step "${key}"`;
    report.add([...path, key], `${what} needs protocol: mattermost at the top of the scenario`, {
      key: true,
    });
    return undefined;
  }
  const options = check(chatStepOptions, value ?? {}, [...path, key], report);
  if (!options) return undefined;

  const step: ChatStep = { kind: 'chat', action: CHAT_ACTIONS[key] };
  if (options.name !== undefined) step.name = options.name;
  if (options.channel !== undefined) {
    step.channel = templateAt(options.channel, [...path, key, 'channel'], scope);
  }
  if (options.message !== undefined) {
    step.message = templateAt(options.message, [...path, key, 'message'], scope);
  }
  if (options.emoji !== undefined) step.emoji = options.emoji;
  if (key === 'wait-for') {
    step.event = options.event ?? 'posted';
    step.timeoutMs = options.timeout ?? 5000;
  }
  return step;
}

function compileHttpStep(
  step: HttpStepSection,
  methodKey: string,
  path: DocPath,
  scope: StepScope,
): HttpStep | undefined {
  const { report, names } = scope;
  const method = methodKey.toUpperCase() as HttpMethod;
  const pathSource = step[methodKey as MethodKey] as string;
  const before = report.issues.length;

  if (!pathSource.startsWith('/')) {
    report.add([...path, methodKey], `expected a path starting with /, found "${pathSource}"`);
  }
  if (step.json !== undefined && step.body !== undefined) {
    report.add([...path, 'body'], 'expected json or body, found both: a request has one body', {
      key: true,
    });
  }

  const compiled: HttpStep = {
    kind: 'http',
    name: step.name ?? `${method} ${pathSource}`,
    method,
    path: templateAt(pathSource, [...path, methodKey], scope),
    headers: Object.entries(step.headers ?? {}).map(([name, value]) => ({
      name,
      value: templateAt(String(value), [...path, 'headers', name], scope),
    })),
    expectStatus: [step.expect?.status ?? []].flat(),
    expectJson: expectations(step.expect, [...path, 'expect'], report),
    capture: captures(step.capture ?? {}, [...path, 'capture'], report),
    location: report.location(path),
  };
  if (step.json !== undefined)
    compiled.json = jsonTemplateAt(step.json, [...path, 'json'], names, report);
  if (step.body !== undefined) compiled.body = templateAt(step.body, [...path, 'body'], scope);
  if (step.timeout !== undefined) compiled.timeoutMs = step.timeout;

  return report.issues.length === before ? compiled : undefined;
}

// A placeholder keeps the step's shape while its problem is reported; the scenario is
// rejected as a whole, so the placeholder never reaches the engine.
const BROKEN: Template = { source: '', isStatic: true, render: () => '' };

function templateAt(source: string, path: DocPath, scope: StepScope): Template {
  try {
    return compileTemplate(source, scope.names);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    scope.report.add(path, error.message, { offset: error.offset });
    return BROKEN;
  }
}

function jsonTemplateAt(
  value: unknown,
  path: DocPath,
  names: TemplateNames,
  report: Reporter,
): JsonTemplate {
  try {
    return compileJsonTemplate(value, names);
  } catch (error) {
    if (!(error instanceof JsonTemplateError)) throw error;
    for (const problem of error.errors) {
      report.add([...path, ...problem.path], problem.message, { offset: problem.offset });
    }
    return { kind: 'static', value };
  }
}

function expectations(
  expect: HttpStepSection['expect'],
  path: DocPath,
  report: Reporter,
): JsonExpectation[] {
  const checks: JsonExpectation[] = [];
  for (const [source, equals] of Object.entries(expect?.json ?? {})) {
    const jsonPath = jsonPathAt(source, [...path, 'json', source], report, { key: true });
    if (jsonPath) checks.push({ path: jsonPath, source, equals });
  }
  (expect?.exists ?? []).forEach((source, i) => {
    const jsonPath = jsonPathAt(source, [...path, 'exists', i], report);
    if (jsonPath) checks.push({ path: jsonPath, source, exists: true });
  });
  return checks;
}

function captures(
  capture: Record<string, string>,
  path: DocPath,
  report: Reporter,
): HttpStep['capture'] {
  const compiled: HttpStep['capture'] = [];
  for (const [variable, source] of Object.entries(capture)) {
    const nameProblem = variableNameProblem(variable);
    if (nameProblem) report.add([...path, variable], nameProblem, { key: true });

    const from = captureSource(source, [...path, variable], report);
    if (from && !nameProblem) compiled.push({ variable, source: from });
  }
  return compiled;
}

// Header names are kept lower-case: HTTP treats them case-insensitively and undici reports
// response headers in lower case.
function captureSource(source: string, path: DocPath, report: Reporter): CaptureSource | undefined {
  if (source.startsWith('header.')) {
    const name = source.slice('header.'.length).trim().toLowerCase();
    if (/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) return { from: 'header', name, source };
    report.add(path, `expected a header name after "header.", found "${source}"`);
    return undefined;
  }
  const jsonPath = jsonPathAt(source, path, report);
  return jsonPath && { from: 'json', path: jsonPath, source };
}

/** Why a name cannot be a variable or capture, or undefined when it can. */
export function variableNameProblem(name: string): string | undefined {
  if (!IDENTIFIER.test(name)) {
    return `expected a name of letters, digits and _ (not starting with a digit), found "${name}"`;
  }
  if (RESERVED_NAMES.has(name)) {
    return `"${name}" is reserved for templates: expected another name`;
  }
  return undefined;
}

function jsonPathAt(
  source: string,
  path: DocPath,
  report: Reporter,
  options: { key?: boolean } = {},
): (string | number)[] | undefined {
  const parsed = parseJsonPath(source);
  if (typeof parsed !== 'string') return parsed;
  report.add(path, parsed, options);
  return undefined;
}

const PATH_SEGMENT = /\.([A-Za-z0-9_$-]+)|\[(\d+)\]|\["([^"]*)"\]|\['([^']*)'\]/y;

/** `$.items[2].id` → ['items', 2, 'id']; returns a message when the path is malformed. */
export function parseJsonPath(source: string): (string | number)[] | string {
  const expected = 'expected a JSON path such as $.id or $.items[0].name';
  if (!source.startsWith('$')) return `${expected} or header.Name, found "${source}"`;

  const path: (string | number)[] = [];
  let offset = 1;
  while (offset < source.length) {
    PATH_SEGMENT.lastIndex = offset;
    const match = PATH_SEGMENT.exec(source);
    if (!match) return `${expected}, found "${source}" (stopped at "${source.slice(offset)}")`;
    path.push(match[2] !== undefined ? Number(match[2]) : (match[1] ?? match[3] ?? match[4]));
    offset = PATH_SEGMENT.lastIndex;
  }
  return path;
}

/** What the rest of the scenario needs to know of the steps before they are compiled. */
export interface StepFacts {
  /** Variables set by a `capture` anywhere in the scenario. */
  captures: Set<string>;
  /** Names of the HTTP steps, as thresholds refer to them. */
  httpNames: Set<string>;
}

/** Best-effort walk over the raw flows, so one broken step does not cascade into others. */
export function collectStepFacts(flows: unknown): StepFacts {
  const facts: StepFacts = { captures: new Set(), httpNames: new Set() };
  const visit = (steps: unknown) => {
    if (!Array.isArray(steps)) return;
    for (const step of steps) {
      if (!isRecord(step)) continue;
      visit(step.steps);
      if (isRecord(step.capture)) Object.keys(step.capture).forEach((v) => facts.captures.add(v));

      const method = HTTP_METHODS.find((key) => typeof step[key] === 'string');
      if (!method) continue;
      const name = typeof step.name === 'string' ? step.name.trim() : '';
      facts.httpNames.add(name || `${method.toUpperCase()} ${step[method]}`);
    }
  };
  if (Array.isArray(flows)) flows.forEach((flow) => isRecord(flow) && visit(flow.steps));
  return facts;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
