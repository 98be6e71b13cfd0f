// `{{ expr }}` templates in paths, headers and bodies. A template is parsed once, when the
// scenario loads, into a list of closures: rendering on the request path is a loop that
// calls them, with no parsing and no regular expressions.

import { didYouMean } from './errors.js';
import type { JsonTemplate, Template, TemplateContext } from './types.js';

/** Names a scenario variable or capture may not take: templates read them as built-ins. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'user',
  'data',
  'env',
  'random',
  'uuid',
  'iteration',
]);

export interface TemplateNames {
  /** Names `{{ name }}` may read (variables and captures); not checked when undefined. */
  variables?: ReadonlySet<string>;
  /** The CSV header; not checked when undefined; empty when the scenario has no data. */
  dataColumns?: ReadonlySet<string>;
}

/** A template mistake; `offset` is 0-based into the source, `path` leads to a JSON leaf. */
export class TemplateError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly path: (string | number)[] = [],
  ) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** Every template mistake in one JSON body, so all of them can be reported together. */
export class JsonTemplateError extends Error {
  constructor(readonly errors: TemplateError[]) {
    super(errors.map((error) => error.message).join('; '));
    this.name = 'JsonTemplateError';
  }
}

type Evaluate = (ctx: TemplateContext) => unknown;
type Render = (ctx: TemplateContext) => string;

interface Expression {
  evaluate: Evaluate;
  /** True when the value is always a number, so a JSON leaf may keep it as one. */
  numeric: boolean;
  /** True for `{{ name }}`, whose value keeps its JSON type in a JSON leaf. */
  variable: boolean;
}

interface ParsedTemplate {
  parts: Render[];
  /** Set when the whole source is one `{{ expr }}` with nothing around it. */
  whole?: Expression;
  hasExpressions: boolean;
}

const HELPERS_EXPECTED = 'expected random.int(a, b), random.string(n) or uuid()';
const HELPER_NAMES = ['random.int', 'random.string', 'uuid'];
const BUILT_IN_NAMES = ['user.index', 'iteration', 'data.COLUMN', 'env.NAME'];
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** Compiles `source`; throws a TemplateError at the first mistake. */
export function compileTemplate(source: string, names: TemplateNames = {}): Template {
  const parsed = parseTemplate(source, names);
  if (!parsed.hasExpressions) {
    // Only a source without `{{` is static: its render is the source itself.
    return { source, isStatic: true, render: () => source };
  }

  return { source, isStatic: false, render: joinParts(parsed.parts) };
}

function joinParts(parts: Render[]): Render {
  return (ctx) => {
    let text = '';
    for (const part of parts) text += part(ctx);
    return text;
  };
}

/**
 * Compiles a JSON body whose string leaves may hold templates (keys are taken as written).
 * A leaf that is exactly `{{ random.int(1, 9) }}`, `{{ user.index }}` or `{{ iteration }}`
 * renders as a number, and exactly `{{ name }}` keeps the variable's own JSON type, so a
 * captured numeric id is sent back as a number rather than a string.
 */
export function compileJsonTemplate(value: unknown, names: TemplateNames = {}): JsonTemplate {
  const errors: TemplateError[] = [];
  const build = buildJson(value, [], names, errors);
  if (errors.length) throw new JsonTemplateError(errors);
  return build ? { kind: 'dynamic', render: build } : { kind: 'static', value };
}

// Returns undefined for a subtree without templates, which is then shared as is.
function buildJson(
  value: unknown,
  path: (string | number)[],
  names: TemplateNames,
  errors: TemplateError[],
): Evaluate | undefined {
  if (typeof value === 'string') return buildJsonString(value, path, names, errors);
  if (value === null || typeof value !== 'object') return undefined;

  const entries = Array.isArray(value)
    ? value.map((item, i) => [i, item] as const)
    : Object.entries(value);
  const builds = entries.map(([key, item]) => buildJson(item, [...path, key], names, errors));
  if (builds.every((build) => build === undefined)) return undefined;

  const values = entries.map(([, item]) => item);
  if (Array.isArray(value)) {
    return (ctx) => builds.map((build, i) => (build ? build(ctx) : values[i]));
  }
  const keys = entries.map(([key]) => String(key));
  return (ctx) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) out[keys[i]] = builds[i] ? builds[i]!(ctx) : values[i];
    return out;
  };
}

function buildJsonString(
  text: string,
  path: (string | number)[],
  names: TemplateNames,
  errors: TemplateError[],
): Evaluate | undefined {
  if (!text.includes('{{')) return undefined;
  try {
    const parsed = parseTemplate(text, names);
    const whole = parsed.whole;
    if (whole?.numeric) return whole.evaluate;
    if (whole?.variable) return (ctx) => whole.evaluate(ctx) ?? '';
    return joinParts(parsed.parts);
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    errors.push(new TemplateError(error.message, error.offset, path));
    return undefined;
  }
}

function parseTemplate(source: string, names: TemplateNames): ParsedTemplate {
  const parts: Render[] = [];
  const expressions: Expression[] = [];
  let offset = 0;

  while (offset < source.length) {
    const open = source.indexOf('{{', offset);
    if (open < 0) {
      parts.push(constant(source.slice(offset)));
      break;
    }
    if (open > offset) parts.push(constant(source.slice(offset, open)));

    const close = source.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError('unclosed {{: expected }} to end the expression', open);

    const expression = parseExpression(source.slice(open + 2, close), open + 2, names);
    expressions.push(expression);
    parts.push((ctx) => toText(expression.evaluate(ctx)));
    offset = close + 2;
  }

  const isWhole = expressions.length === 1 && parts.length === 1;
  return {
    parts,
    whole: isWhole ? expressions[0] : undefined,
    hasExpressions: !!expressions.length,
  };
}

function constant(text: string): Render {
  return () => text;
}

function toText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

// The expression grammar is tiny: `name(.name)*` optionally followed by `(int, int...)`.
function parseExpression(text: string, base: number, names: TemplateNames): Expression {
  const scanner = new Scanner(text, base);
  scanner.skipSpace();
  const start = scanner.offset;
  if (scanner.atEnd()) throw new TemplateError('empty {{ }}: expected an expression', start);

  const segments = [scanner.name()];
  while (scanner.eat('.')) segments.push(scanner.name());
  const dotted = segments.join('.');

  let args: { value: number; offset: number }[] | undefined;
  if (scanner.eat('(')) {
    args = [];
    if (!scanner.eat(')')) {
      do args.push(scanner.integer());
      while (scanner.eat(','));
      scanner.expect(')');
    }
  }
  scanner.end();

  return args ? helper(dotted, args, start) : reference(segments, start, names);
}

function helper(name: string, args: { value: number; offset: number }[], at: number): Expression {
  const arity = (count: number, usage: string) => {
    if (args.length !== count) {
      throw new TemplateError(`expected ${usage}, found ${args.length} argument(s)`, at);
    }
  };

  if (name === 'random.int') {
    arity(2, 'random.int(a, b) with two integers');
    const [low, high] = args.map((arg) => arg.value);
    if (low > high) {
      throw new TemplateError(`expected a <= b, found ${low} > ${high}`, args[0].offset);
    }
    const span = high - low + 1;
    return numeric((ctx) => low + Math.floor(ctx.random() * span));
  }
  if (name === 'random.string') {
    arity(1, 'random.string(n) with one length');
    const length = args[0].value;
    if (length < 1 || length > 65536) {
      throw new TemplateError(`expected a length from 1 to 65536, found ${length}`, args[0].offset);
    }
    return textual((ctx) => randomString(length, ctx.random));
  }
  if (name === 'uuid') {
    arity(0, 'uuid() with no arguments');
    return textual((ctx) => uuidV4(ctx.random));
  }
  throw new TemplateError(
    `unknown helper "${name}()": ${HELPERS_EXPECTED}` + didYouMean(name, HELPER_NAMES),
    at,
  );
}

function reference(segments: string[], at: number, names: TemplateNames): Expression {
  const [head, field] = segments;
  const dotted = segments.join('.');

  if (head === 'user' || head === 'iteration') {
    if (dotted === 'user.index') return numeric((ctx) => ctx.userIndex);
    if (dotted === 'iteration') return numeric((ctx) => ctx.iteration);
    throw new TemplateError(`unknown name "${dotted}": expected user.index or iteration`, at);
  }
  if (head === 'random' || head === 'uuid') {
    throw new TemplateError(`"${dotted}" is a helper: ${HELPERS_EXPECTED}`, at);
  }
  if (head === 'data' || head === 'env') {
    if (segments.length !== 2) {
      throw new TemplateError(`expected ${head}.NAME with one name, found "${dotted}"`, at);
    }
    return head === 'data' ? dataColumn(field, at, names.dataColumns) : environment(field, at);
  }
  if (segments.length > 1) {
    throw new TemplateError(
      `unknown name "${dotted}": expected a variable, ` +
        `${BUILT_IN_NAMES.join(', ')} or a helper${didYouMean(dotted, BUILT_IN_NAMES)}`,
      at,
    );
  }
  return variable(head, at, names.variables);
}

function variable(name: string, at: number, known: ReadonlySet<string> | undefined): Expression {
  if (known && !known.has(name)) {
    throw new TemplateError(
      `unknown variable "${name}": expected a scenario variable or ` +
        `a capture${didYouMean(name, known)}`,
      at,
    );
  }
  return {
    evaluate: (ctx) => (Object.hasOwn(ctx.vars, name) ? ctx.vars[name] : undefined),
    numeric: false,
    variable: true,
  };
}

function dataColumn(column: string, at: number, columns: ReadonlySet<string> | undefined) {
  if (columns && columns.size === 0) {
    throw new TemplateError(`data.${column} needs a data file, but the scenario has no data`, at);
  }
  if (columns && !columns.has(column)) {
    throw new TemplateError(
      `unknown data column "${column}": expected one of ` +
        `${[...columns].join(', ')}${didYouMean(column, columns)}`,
      at,
    );
  }
  return textual((ctx) => ctx.data[column] ?? '');
}

// Read once at load time: the environment of a run does not change while it runs.
function environment(name: string, at: number): Expression {
  const value = process.env[name];
  if (value === undefined) {
    throw new TemplateError(
      `environment variable ${name} is not set: expected it to be set for env.${name}`,
      at,
    );
  }
  return textual(() => value);
}

function numeric(evaluate: (ctx: TemplateContext) => number): Expression {
  return { evaluate, numeric: true, variable: false };
}

function textual(evaluate: (ctx: TemplateContext) => string): Expression {
  return { evaluate, numeric: false, variable: false };
}

function randomString(length: number, random: () => number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += ALPHANUMERIC[Math.floor(random() * 62)];
  return text;
}

// RFC 4122 version-4 layout, drawn from the seeded source so `--seed` reproduces it.
function uuidV4(random: () => number): string {
  const bytes: number[] = [];
  for (let i = 0; i < 16; i++) bytes.push(Math.floor(random() * 256));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;

  const hex = bytes.map((byte) => HEX[byte]).join('');
  return (
    `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-` +
    `${hex.slice(16, 20)}-${hex.slice(20)}`
  );
}

class Scanner {
  private position = 0;

  constructor(
    private readonly text: string,
    private readonly base: number,
  ) {}

  get offset(): number {
    return this.base + this.position;
  }

  atEnd(): boolean {
    return this.position >= this.text.length;
  }

  skipSpace(): void {
    while (/\s/.test(this.text[this.position] ?? '')) this.position++;
  }

  eat(token: string): boolean {
    this.skipSpace();
    if (this.text[this.position] !== token) return false;
    this.position++;
    return true;
  }

  expect(token: string): void {
    if (!this.eat(token)) this.fail(`"${token}"`);
  }

  name(): string {
    this.skipSpace();
    const match = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.text.slice(this.position));
    if (!match) this.fail('a name');
    this.position += match[0].length;
    return match[0];
  }

  integer(): { value: number; offset: number } {
    this.skipSpace();
    const offset = this.offset;
    const match = /^-?\d+/.exec(this.text.slice(this.position));
    if (!match) this.fail('an integer');
    this.position += match[0].length;
    return { value: Number(match[0]), offset };
  }

  end(): void {
    this.skipSpace();
    if (!this.atEnd()) this.fail('}}');
  }

  private fail(expected: string): never {
    const found = this.atEnd() ? 'the end of the expression' : `"${this.text[this.position]}"`;
    throw new TemplateError(`expected ${expected} in {{ }}, found ${found}`, this.offset);
  }
}
