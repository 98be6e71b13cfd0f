// Level lists for `sweep --users`: "1,2,4,8", "1..512x2" (each level twice the last) or
// "10..100+10" (each level 10 more than the last).

import { UsageError } from '../cli/exit-codes.js';

const MAX_LEVELS = 64;
const EXPECTED = 'expected a list such as 1,2,4,8, a range such as 1..512x2, or 10..100+10';

export function parseUsersList(text: string, flag = '--users'): number[] {
  const range = /^(\d+)\.\.(\d+)(?:([x+])(\d+(?:\.\d+)?))?$/.exec(text.trim());
  const levels = range ? expandRange(text, range, flag) : parseList(text, flag);

  if (levels.length > MAX_LEVELS) {
    throw new UsageError(`${flag}: expected at most ${MAX_LEVELS} levels, found ${levels.length}`);
  }
  for (let i = 1; i < levels.length; i++) {
    if (levels[i] <= levels[i - 1]) {
      throw new UsageError(
        `${flag}: expected rising levels, found ${levels[i]} after ${levels[i - 1]} in "${text}"`,
      );
    }
  }
  return levels;
}

function parseList(text: string, flag: string): number[] {
  return text.split(',').map((item, index) => {
    const trimmed = item.trim();
    if (!/^\d+$/.test(trimmed) || Number(trimmed) < 1) {
      throw new UsageError(
        `${flag}: item ${index + 1} of "${text}": expected a whole number of users of at ` +
          `least 1, found "${trimmed}" (${EXPECTED})`,
      );
    }
    return Number(trimmed);
  });
}

function expandRange(text: string, range: RegExpExecArray, flag: string): number[] {
  const from = Number(range[1]);
  const to = Number(range[2]);
  const kind = range[3] ?? 'x';
  const step = range[4] === undefined ? 2 : Number(range[4]);
  if (from < 1 || to < from) {
    throw new UsageError(`${flag}: expected 1 <= from <= to in "${text}", found ${from}..${to}`);
  }
  if (kind === 'x' && !(step > 1)) {
    throw new UsageError(`${flag}: expected a factor above 1 after "x" in "${text}"`);
  }
  if (kind === '+' && !(step >= 1 && Number.isInteger(step))) {
    throw new UsageError(`${flag}: expected a whole step of at least 1 after "+" in "${text}"`);
  }

  const levels: number[] = [];
  for (let users = from; users <= to;) {
    levels.push(users);
    const next = kind === 'x' ? Math.round(users * step) : users + step;
    users = next > users ? next : users + 1;
    if (levels.length > MAX_LEVELS) break;
  }
  return levels;
}
