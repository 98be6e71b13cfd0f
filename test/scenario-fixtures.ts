// Helpers shared by the scenario tests: scenarios are written to a fresh temporary folder so
// relative data files resolve the way they do for a user.

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScenarioError } from '../src/scenario/errors.js';
import type { ScenarioIssue } from '../src/scenario/errors.js';
import { loadScenario } from '../src/scenario/load.js';
import type { Scenario } from '../src/scenario/types.js';

/** Writes `files` into a new temporary folder and returns the folder. */
export function writeFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'chatload-scenario-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

/** Loads `text` as `name` (with any extra files beside it). */
export function scenarioFrom(text: string, name = 'test.yaml', extra = {}): Scenario {
  const dir = writeFiles({ [name]: text, ...extra });
  return loadScenario(path.join(dir, name));
}

/** The issues loading `text` reports; fails the test when it loads without error. */
export function issuesOf(
  text: string,
  name = 'test.yaml',
  extra: Record<string, string> = {},
): ScenarioIssue[] {
  const dir = writeFiles({ [name]: text, ...extra });
  try {
    loadScenario(path.join(dir, name));
  } catch (error) {
    assert.ok(error instanceof ScenarioError, `expected a ScenarioError, got ${String(error)}`);
    return error.issues;
  }
  assert.fail('expected the scenario to be rejected');
}

/** The single issue whose path is `issuePath`; fails when there is not exactly one. */
export function issueAt(issues: ScenarioIssue[], issuePath: string): ScenarioIssue {
  const found = issues.filter((issue) => issue.path === issuePath);
  assert.equal(
    found.length,
    1,
    `one issue at ${issuePath} in:\n${JSON.stringify(issues, null, 1)}`,
  );
  return found[0];
}

/** A minimal valid scenario body to build mistakes on, one flow of one step. */
export const MINIMAL = `load: { model: closed, users: 1, duration: 1s }
flows:
  - name: only
    steps:
      - get: /
`;
