// Reads a scenario file (YAML, or JSON parsed as the YAML it also is, which keeps positions)
// and compiles it into a Scenario. Checks run in phases, and every problem of a phase is
// collected before throwing: YAML syntax, then the shape of each section (zod), then each
// step by its kind, then what only makes sense across the file (names, thresholds, data).

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { isMap, LineCounter, parseDocument } from 'yaml';
import type { ZodType } from 'zod';
import { closestMatch, describeValue, didYouMean, ScenarioError } from './errors.js';
import { Reporter } from './positions.js';
import { API } from '../protocols/mattermost/api.js';
import { chatSection, check, flowSchema, sections, unknownKeyMessage } from './schema.js';
import {
  DEFAULT_ACTIONS,
  DEFAULT_DELIVERY_WINDOW_MS,
  DEFAULT_IDLE,
  DEFAULT_LOGIN_RATE_PER_SEC,
  DEFAULT_PASSWORD,
  DEFAULT_SPEED,
} from '../protocols/mattermost/user-model.js';
import type { DataSection } from './schema.js';
import { compileLoad } from './load-model.js';
import { collectStepFacts, compileSteps, isRecord, variableNameProblem } from './steps.js';
import type { StepScope } from './steps.js';
import type { TemplateNames } from './template.js';
import { parseThreshold, ThresholdSyntaxError } from './threshold.js';
import type { ChatConfig, DataSource, Flow, Scenario, Threshold } from './types.js';

export type ScenarioFormat = 'yaml' | 'json';

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
const DEFAULT_STALL_MS = 5_000;
const DEFAULT_GRACE_MS = 10_000;
const REQUIRED_SECTIONS: Record<string, string> = {
  load:
    'required key is missing: expected a load model such as ' +
    '{ model: closed, users: 10, duration: 30s }',
  flows: 'required key is missing: expected a list of flows, each with a name and steps',
};

export function loadScenario(file: string): Scenario {
  const format = formatOf(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw wholeFileError(file, `expected a readable scenario file, found ${reason}`);
  }
  return parseScenario(text, file, format);
}

export function parseScenario(text: string, file: string, format: ScenarioFormat): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const report = new Reporter(file, doc, lines);

  for (const error of doc.errors) {
    report.addAt(error.pos[0], error.message.charAt(0).toLowerCase() + error.message.slice(1));
  }
  // Shape checks on a document that did not parse would pile guesses on top: stop here.
  if (report.issues.length) throw new ScenarioError(report.sorted());

  // YAML would accept block syntax in a .json file; a JSON tool reading it next would not.
  if (format === 'json' && doc.contents && !(isMap(doc.contents) && doc.contents.flow)) {
    const found = isMap(doc.contents) ? 'YAML block syntax' : describeValue(doc.toJS());
    report.add([], `expected a JSON object, found ${found}`);
    throw new ScenarioError(report.sorted());
  }

  const raw: unknown = doc.toJS();
  const scenario = compileScenario(raw, file, report);
  if (!scenario || report.issues.length) throw new ScenarioError(report.sorted());
  return scenario;
}

function formatOf(file: string): ScenarioFormat {
  const extension = path.extname(file).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  throw wholeFileError(file, `expected a .yaml, .yml or .json file, found "${extension}"`);
}

function wholeFileError(file: string, message: string): ScenarioError {
  return new ScenarioError([{ file, line: 1, column: 1, path: '', message }]);
}

function compileScenario(raw: unknown, file: string, report: Reporter): Scenario | undefined {
  if (!isRecord(raw)) {
    const found = raw === null || raw === undefined ? 'an empty file' : describeValue(raw);
    report.add([], `expected a mapping with load and flows, found ${found}`);
    return undefined;
  }
  checkRootKeys(raw, report);

  const present = (key: string) => raw[key] !== undefined;
  const variables = compileVariables(raw.variables, report);
  const data = present('data') ? loadData(raw.data, file, report) : { columns: new Set<string>() };

  const facts = collectStepFacts(raw.flows);
  // Chat steps set these in the user's variables, for HTTP steps that follow them.
  const chatVariables = raw.protocol === 'mattermost' ? CHAT_VARIABLES : [];
  const names: TemplateNames = {
    variables: new Set([...Object.keys(variables), ...facts.captures, ...chatVariables]),
    dataColumns: data.columns,
  };
  const chatProtocol = raw.protocol === 'mattermost';
  if (present('protocol')) check(sections.protocol, raw.protocol, ['protocol'], report);
  if (present('mattermost') && !chatProtocol) {
    report.add(['mattermost'], 'a mattermost section needs protocol: mattermost', { key: true });
  }
  const chat = chatProtocol ? compileChat(raw.mattermost, report) : undefined;
  const flows = present('flows')
    ? compileFlows(raw.flows, { report, names, chat: chatProtocol })
    : chatProtocol
      ? [LIVE_CHAT_FLOW]
      : undefined;
  const load = present('load') ? compileLoad(raw.load, report) : undefined;
  if (raw.protocol === 'mattermost') {
    for (const call of Object.values(API)) facts.httpNames.add(call.name);
    facts.httpNames.add('connect websocket');
  }
  const thresholds = present('thresholds')
    ? compileThresholds(raw.thresholds, facts.httpNames, report)
    : [];
  const settings = compileSettings(raw, file, report);
  if (!load || !flows) return undefined;

  const scenario: Scenario = { ...settings, load, variables, flows, thresholds, raw };
  if (data.source) scenario.data = data.source;
  if (chat) scenario.chat = chat;
  const serve = present('serve') ? check(sections.serve, raw.serve, ['serve'], report) : undefined;
  if (serve?.faults?.length) scenario.serveFaults = serve.faults;
  return scenario;
}

/** The optional sections that need no knowledge of the rest of the file. */
function compileSettings(
  raw: Record<string, unknown>,
  file: string,
  report: Reporter,
): Pick<Scenario, 'name' | 'file' | 'target' | 'timeouts' | 'http'> {
  const section = <T>(key: string, schema: ZodType<T>) =>
    raw[key] === undefined ? undefined : check(schema, raw[key], [key], report);
  const timeouts = section('timeouts', sections.timeouts);
  const http = section('http', sections.http);
  const target = section('target', sections.target);

  const settings = {
    name: section('name', sections.name) ?? defaultName(file),
    file: file === '<inline>' ? file : path.resolve(file),
    timeouts: {
      requestMs: timeouts?.request ?? DEFAULT_REQUEST_TIMEOUT_MS,
      stallMs: timeouts?.stall ?? DEFAULT_STALL_MS,
      graceMs: timeouts?.grace ?? DEFAULT_GRACE_MS,
    },
    // Left undefined when not given: the engine picks the default that suits the model.
    http: http?.connections === undefined ? {} : { connections: http.connections },
  };
  return target === undefined ? settings : { ...settings, target };
}

function checkRootKeys(raw: Record<string, unknown>, report: Reporter): void {
  const known = [...Object.keys(sections), 'mattermost'];
  const unknown = Object.keys(raw).filter((key) => !known.includes(key));
  for (const key of unknown) report.add([key], unknownKeyMessage(key, known), { key: true });

  // A misspelt `laod` already says "did you mean load": no need to add "load is missing".
  const misspelt = new Set(unknown.map((key) => closestMatch(key, known)));
  for (const [key, message] of Object.entries(REQUIRED_SECTIONS)) {
    // A chat scenario without flows runs the realistic chat user.
    if (key === 'flows' && raw.protocol === 'mattermost') continue;
    if (raw[key] === undefined && !misspelt.has(key)) report.add([key], message);
  }
}

const CHAT_VARIABLES = ['token', 'userId', 'teamId', 'channelId', 'lastPostId'];

/** The flow of a chat scenario that lists none: the realistic user, for the whole run. */
const LIVE_CHAT_FLOW: Flow = {
  name: 'chat-user',
  weight: 1,
  steps: [{ kind: 'chat', action: 'live' }],
};

function compileChat(raw: unknown, report: Reporter): ChatConfig | undefined {
  const section = raw === undefined ? {} : check(chatSection, raw, ['mattermost'], report);
  if (section === undefined) return undefined;
  const setup = section.setup ?? {};
  const speed = section.speed
    ? Object.entries(section.speed).map(([key, share]) => ({
        factor: Number(key.slice(1)),
        share: share / 100,
      }))
    : DEFAULT_SPEED;
  if (speed.every((s) => s.share === 0)) {
    report.add(['mattermost', 'speed'], 'expected at least one speed with a share above 0');
  }
  const actions = { ...DEFAULT_ACTIONS, ...section.actions };
  if (Object.values(actions).every((weight) => weight === 0)) {
    report.add(['mattermost', 'actions'], 'expected at least one action with a weight above 0');
  }
  return {
    setup: {
      prefix: setup.prefix ?? 'chatload',
      ...(setup.users !== undefined ? { users: setup.users } : {}),
      teams: setup.teams ?? 1,
      channels: setup.channels ?? {},
      seedPosts: setup.seedPosts ?? 0,
      password: setup.password ?? DEFAULT_PASSWORD,
      loginRatePerSec: setup.loginRate ?? DEFAULT_LOGIN_RATE_PER_SEC,
    },
    idle: section.idle ?? DEFAULT_IDLE,
    speed,
    actions,
    deliveryWindowMs: section.deliveryWindow ?? DEFAULT_DELIVERY_WINDOW_MS,
  };
}

function defaultName(file: string): string {
  return file === '<inline>' ? 'scenario' : path.basename(file, path.extname(file));
}

function compileVariables(raw: unknown, report: Reporter): Record<string, unknown> {
  if (raw === undefined) return {};
  const variables = check(sections.variables, raw, ['variables'], report) ?? {};
  for (const name of Object.keys(variables)) {
    const problem = variableNameProblem(name);
    if (problem) report.add(['variables', name], problem, { key: true });
  }
  return variables;
}

interface LoadedData {
  source?: DataSource;
  /** The CSV header, or undefined when the data could not be read (columns go unchecked). */
  columns?: ReadonlySet<string>;
}

function loadData(raw: unknown, file: string, report: Reporter): LoadedData {
  const spec: DataSection | undefined = check(sections.data, raw, ['data'], report);
  if (spec === undefined) return {};

  const name = typeof spec === 'string' ? spec : spec.file;
  const at = typeof spec === 'string' ? ['data'] : ['data', 'file'];
  const base = file === '<inline>' ? process.cwd() : path.dirname(path.resolve(file));
  const absolute = path.resolve(base, name);
  if (!existsSync(absolute)) {
    report.add(
      at,
      `expected a CSV file relative to the scenario, found "${name}" (no file at ${absolute})`,
    );
    return {};
  }

  const rows = readCsv(absolute, name, (message) => report.add(at, message));
  if (!rows) return {};
  const pick = typeof spec === 'string' ? 'sequential' : (spec.pick ?? 'sequential');
  return { source: { file: absolute, pick, rows }, columns: new Set(Object.keys(rows[0])) };
}

function readCsv(
  absolute: string,
  name: string,
  fail: (message: string) => void,
): Record<string, string>[] | undefined {
  let table: string[][];
  try {
    table = parseCsv(readFileSync(absolute, 'utf8'), {
      bom: true,
      skip_empty_lines: true,
      trim: true,
    });
  } catch (error) {
    fail(`expected a readable CSV file, found an error in "${name}": ${(error as Error).message}`);
    return undefined;
  }

  const [header, ...records] = table;
  const problem = tableProblem(header, records.length, name);
  if (problem) {
    fail(problem);
    return undefined;
  }
  return records.map((record) =>
    Object.fromEntries(header.map((column, i) => [column, record[i]])),
  );
}

// The first row must name the columns, since templates read cells as `data.<column>`.
function tableProblem(header: string[] | undefined, rows: number, name: string) {
  if (!header) return `expected a header row in "${name}", found an empty file`;
  const shown = JSON.stringify(header);
  if (header.some((column) => !column)) {
    return `expected a name for every column of "${name}", found an empty one in ${shown}`;
  }
  if (new Set(header).size !== header.length) {
    return `expected distinct column names in "${name}", found ${shown}`;
  }
  if (rows === 0) return `expected at least one row after the header of "${name}", found none`;
  return undefined;
}

function compileFlows(raw: unknown, scope: StepScope): Flow[] | undefined {
  const { report } = scope;
  const list = check(sections.flows, raw, ['flows'], report);
  if (!list) return undefined;

  const flows: Flow[] = [];
  const firstIndex = new Map<string, number>();
  list.forEach((rawFlow, i) => {
    const at = ['flows', i];
    const flow = check(flowSchema, rawFlow, at, report);
    // Steps are compiled even when the flow's other keys are wrong, so their problems show.
    const rawSteps = isRecord(rawFlow) && Array.isArray(rawFlow.steps) ? rawFlow.steps : [];
    const steps = compileSteps(rawSteps, [...at, 'steps'], scope);
    if (!flow) return;

    const first = firstIndex.get(flow.name);
    if (first !== undefined) {
      report.add(
        [...at, 'name'],
        `expected a unique flow name, found "${flow.name}" again ` +
          `(first used by flows[${first}])`,
      );
    }
    firstIndex.set(flow.name, first ?? i);
    flows.push({ name: flow.name, weight: flow.weight ?? 1, steps });
  });
  return flows;
}

function compileThresholds(raw: unknown, httpNames: Set<string>, report: Reporter): Threshold[] {
  const list = check(sections.thresholds, raw, ['thresholds'], report) ?? [];
  const thresholds: Threshold[] = [];

  list.forEach((text, i) => {
    try {
      const threshold = parseThreshold(text);
      if (threshold.step === undefined || httpNames.has(threshold.step)) {
        thresholds.push(threshold);
        return;
      }
      const known = [...httpNames];
      const listed = known.length > 8 ? `${known.slice(0, 8).join(', ')}, ...` : known.join(', ');
      const offset = text.indexOf(threshold.step, text.indexOf('('));
      report.add(
        ['thresholds', i],
        `unknown step "${threshold.step}": expected the name of ` +
          `an http step (${listed || 'none'})${didYouMean(threshold.step, known)}`,
        { offset },
      );
    } catch (error) {
      if (!(error instanceof ThresholdSyntaxError)) throw error;
      report.add(['thresholds', i], error.message, { offset: error.column });
    }
  });
  return thresholds;
}
