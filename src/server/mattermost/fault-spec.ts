// Fault specs as written on the command line and sent to the admin endpoint (the syntax is
// documented in src/server/FAULTS.md). Parsing is strict: a bad spec is refused with a
// message naming the spec, the part that is wrong and what was expected.

import { DurationSyntaxError, parseDuration, parseDurationRange } from '../../scenario/duration.js';

export type FaultSpec =
  | { kind: 'latency'; route: string; minMs: number; maxMs: number }
  | { kind: 'stall'; route: string; fraction: number }
  | { kind: 'freeze'; everyMs: number; forMs: number }
  | { kind: 'deadlock'; routes: [string, string]; holdMs: number }
  | { kind: 'pool'; size: number; holdMs: number }
  | { kind: 'drop-events'; fraction: number };

export class FaultSpecError extends Error {
  constructor(spec: string, problem: string) {
    super(`fault ${JSON.stringify(spec)}: ${problem}`);
    this.name = 'FaultSpecError';
  }
}

const KINDS = 'latency, stall, freeze, deadlock, pool or drop-events';
const DEFAULT_DEADLOCK_HOLD_MS = 25;

/** Parses one spec; `routes` are the server's route keys (`METHOD /api/v4/…`). */
export function parseFaultSpec(spec: string, routes: readonly string[]): FaultSpec {
  const colon = spec.indexOf(':');
  if (colon < 0) throw new FaultSpecError(spec, `expected KIND:SETTINGS with KIND one of ${KINDS}`);
  const kind = spec.slice(0, colon).trim();
  const rest = spec.slice(colon + 1).trim();
  const fail = (problem: string): never => {
    throw new FaultSpecError(spec, problem);
  };
  const route = (text: string) => checkRoute(text.trim(), routes, fail);

  switch (kind) {
    case 'latency': {
      const [target, value] = splitValue(rest, 'a delay such as 50ms or 50ms..200ms', fail);
      const { minMs, maxMs } = guard(() => parseDurationRange(value), fail);
      return { kind, route: route(target), minMs, maxMs };
    }
    case 'stall': {
      const [target, value] = splitValue(rest, 'a fraction such as 0.1 or 10%', fail);
      return { kind, route: route(target), fraction: fraction(value, fail) };
    }
    case 'freeze': {
      const options = keyValues(rest, ['every', 'for'], fail);
      const everyMs = guard(() => parseDuration(options.every), fail);
      const forMs = guard(() => parseDuration(options.for), fail);
      if (forMs >= everyMs)
        fail(`"for" (${options.for}) must be shorter than "every" (${options.every})`);
      return { kind, everyMs, forMs };
    }
    case 'deadlock': {
      const [pair, hold] = rest.includes('=') ? splitValue(rest, '', fail) : [rest, undefined];
      const parts = pair.split('|');
      if (parts.length !== 2)
        fail(`expected two routes joined by "|", found ${JSON.stringify(pair)}`);
      const routesPair: [string, string] = [route(parts[0]), route(parts[1])];
      if (routesPair[0] === routesPair[1]) fail('expected two different routes');
      const holdMs =
        hold === undefined ? DEFAULT_DEADLOCK_HOLD_MS : guard(() => parseDuration(hold), fail);
      return { kind, routes: routesPair, holdMs };
    }
    case 'pool': {
      const options = keyValues(rest, ['size', 'hold'], fail);
      const size = Number(options.size);
      if (!Number.isInteger(size) || size < 1)
        fail(`size: expected a whole number from 1, found ${JSON.stringify(options.size)}`);
      return { kind, size, holdMs: guard(() => parseDuration(options.hold), fail) };
    }
    case 'drop-events':
      return { kind, fraction: fraction(rest, fail) };
    default:
      return fail(`unknown kind ${JSON.stringify(kind)}; expected ${KINDS}`);
  }
}

function splitValue(text: string, expected: string, fail: (p: string) => never): [string, string] {
  const equals = text.lastIndexOf('=');
  if (equals < 0) fail(`expected ROUTE=VALUE with VALUE ${expected}, found no "="`);
  return [text.slice(0, equals), text.slice(equals + 1).trim()];
}

function checkRoute(text: string, routes: readonly string[], fail: (p: string) => never): string {
  const normalised = text.replace(/\s+/, ' ');
  const [method = '', path = ''] = normalised.split(' ');
  const key = `${method.toUpperCase()} ${path}`;
  if (routes.includes(key)) return key;
  // A concrete path (`GET /api/v4/users/me`) names the route template it falls under.
  const matching = routes.find((route) => templatePattern(route).test(key));
  if (matching !== undefined) return matching;
  const samePath = routes.filter((route) => route.endsWith(' ' + path));
  const hint = samePath.length > 0 ? `; that path has ${samePath.join(', ')}` : '';
  return fail(
    `unknown route ${JSON.stringify(text)}${hint}; expected METHOD and a route template ` +
      `such as "POST /api/v4/posts" (all routes are listed in FAULTS.md)`,
  );
}

function templatePattern(route: string): RegExp {
  const escaped = route.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  return new RegExp('^' + escaped.replace(/\{\w+\}/g, '[^/]+') + '$');
}

function fraction(text: string, fail: (p: string) => never): number {
  const percent = text.endsWith('%');
  const value = Number(percent ? text.slice(0, -1) : text) / (percent ? 100 : 1);
  if (text === '' || !Number.isFinite(value) || value <= 0 || value > 1) {
    fail(
      'expected a fraction above 0 and at most 1, such as 0.1 or 10%, ' +
        `found ${JSON.stringify(text)}`,
    );
  }
  return value;
}

function keyValues<K extends string>(
  text: string,
  keys: readonly K[],
  fail: (p: string) => never,
): Record<K, string> {
  const found: Partial<Record<K, string>> = {};
  for (const part of text.split(',')) {
    const [key, value] = part.split('=').map((piece) => piece.trim());
    if (!keys.includes(key as K) || value === undefined || value === '') {
      fail(`expected ${keys.map((k) => `${k}=…`).join(',')}, found ${JSON.stringify(part)}`);
    }
    found[key as K] = value;
  }
  for (const key of keys) if (found[key] === undefined) fail(`missing ${key}=…`);
  return found as Record<K, string>;
}

function guard<T>(parse: () => T, fail: (p: string) => never): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof DurationSyntaxError) return fail(error.message);
    throw error;
  }
}
