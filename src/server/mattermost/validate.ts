// Input checks for request bodies. Each failure is a 400 with the Mattermost error body,
// naming the field, what was found and what was expected.

import { badParam, badUrlParam } from './errors.js';
import { isId } from './ids.js';

export type Fields = Record<string, unknown>;

export function asObject(value: unknown, what = 'body'): Fields {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badParam(what, value, 'a JSON object');
  }
  return value as Fields;
}

interface TextRule {
  min?: number;
  max: number;
  pattern?: RegExp;
  /** Says what the pattern allows, for the error message. */
  allowed?: string;
}

export function text(fields: Fields, name: string, rule: TextRule): string {
  const value = fields[name];
  const min = rule.min ?? 1;
  const allowed = rule.allowed ? ` (${rule.allowed})` : '';
  const expected = `a string of ${min}-${rule.max} characters${allowed}`;
  if (typeof value !== 'string') throw badParam(name, value, expected);
  const length = [...value].length;
  if (length < min || length > rule.max) throw badParam(name, value, expected);
  if (rule.pattern !== undefined && !rule.pattern.test(value))
    throw badParam(name, value, expected);
  return value;
}

export function optionalText(fields: Fields, name: string, rule: TextRule): string {
  return fields[name] === undefined ? '' : text(fields, name, { ...rule, min: rule.min ?? 0 });
}

export function id(fields: Fields, name: string): string {
  const value = fields[name];
  if (!isId(value)) throw badParam(name, value, 'a 26-character id');
  return value;
}

export function optionalId(fields: Fields, name: string): string {
  const value = fields[name];
  return value === undefined || value === '' ? '' : id(fields, name);
}

export function idList(value: unknown, name: string, max: number): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > max) {
    throw badParam(name, value, `a list of 1-${max} ids`);
  }
  for (const item of value) if (!isId(item)) throw badParam(name, item, 'a 26-character id');
  return value as string[];
}

export function optionalBoolean(fields: Fields, name: string): boolean | undefined {
  const value = fields[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw badParam(name, value, 'true or false');
  return value;
}

/** Mattermost paging: page from 0; per_page 60 by default, at most 200. */
export function paging(query: URLSearchParams, fallback = 60): { page: number; perPage: number } {
  const page = Number(query.get('page') ?? 0);
  const perPageText = query.get('per_page');
  let perPage = perPageText === null ? fallback : Number(perPageText);
  if (!Number.isInteger(perPage) || perPage < 0) perPage = fallback;
  if (perPage > 200) perPage = 200;
  if (!Number.isInteger(page) || page < 0) {
    throw badUrlParam('page', query.get('page'), 'a whole number from 0');
  }
  return { page, perPage };
}
