import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatIssues, ScenarioError } from '../src/scenario/errors.js';
import type { ScenarioIssue } from '../src/scenario/errors.js';
import { loadScenario, parseScenario } from '../src/scenario/load.js';
import { issueAt, issuesOf, MINIMAL } from './scenario-fixtures.js';

/** Asserts the issue at `issuePath` is at `line:column` and its message matches. */
function expectIssue(
  issues: ScenarioIssue[],
  issuePath: string,
  line: number,
  column: number,
  message: RegExp,
): void {
  const issue = issueAt(issues, issuePath);
  assert.deepEqual([issue.line, issue.column], [line, column], `position of ${issuePath}`);
  assert.match(issue.message, message);
}

describe('scenario mistakes are reported where they are', () => {
  it('an unknown key, at the key, with a suggestion', () => {
    const issues = issuesOf(MINIMAL.replace('duration: 1s', 'duraton: 1s'));
    expectIssue(
      issues,
      'load.duraton',
      1,
      34,
      /^unknown key "duraton": expected one of model, .* \(did you mean "duration"\?\)$/,
    );
  });

  it('an unknown top-level key, without also calling the key it resembles missing', () => {
    const issues = issuesOf(MINIMAL.replace('flows:', 'flow:'));
    assert.equal(issues.length, 1);
    expectIssue(issues, 'flow', 2, 1, /^unknown key "flow": .*\(did you mean "flows"\?\)$/);
  });

  it('a value of the wrong type', () => {
    const issues = issuesOf(MINIMAL.replace('users: 1', 'users: many'));
    expectIssue(issues, 'load.users', 1, 31, /^expected an integer, found "many"$/);
  });

  it('a bad duration', () => {
    const issues = issuesOf(MINIMAL.replace('duration: 1s', 'duration: fast'));
    expectIssue(
      issues,
      'load.duration',
      1,
      44,
      /^expected a duration above 0 such as 500ms, 30s or 2m, found "fast"$/,
    );
  });

  it('a bad think time', () => {
    const issues = issuesOf(`${MINIMAL}      - think: fast\n`);
    expectIssue(
      issues,
      'flows[0].steps[1].think',
      6,
      16,
      /^expected a duration or range such as 100ms\.\.300ms, found "fast"$/,
    );
  });

  it('a bad threshold, at the column inside the expression', () => {
    const issues = issuesOf(`${MINIMAL}thresholds:\n  - p99 < 300\n  - "stalled = 0"\n`);
    expectIssue(issues, 'thresholds[0]', 7, 14, /^expected a latency with a unit/);
    expectIssue(issues, 'thresholds[1]', 8, 14, /^expected a comparison/);
  });

  it('a threshold on a step that does not exist', () => {
    const text =
      MINIMAL.replace('- get: /', '- get: /\n        name: item') +
      'thresholds: [p99(itme) < 1s]\n';
    const issues = issuesOf(text);
    expectIssue(
      issues,
      'thresholds[0]',
      7,
      18,
      /^unknown step "itme": expected the name of an http step \(item\) \(did you mean "item"\?\)$/,
    );
  });

  it('an unknown template variable, at the name inside the string', () => {
    const text =
      MINIMAL.replace('get: /', 'get: /items/{{ idd }}') +
      '  - name: other\n    steps:\n      - post: /items\n        capture: { id: $.id }\n';
    const issues = issuesOf(text);
    expectIssue(
      issues,
      'flows[0].steps[0].get',
      5,
      24,
      /^unknown variable "idd": expected a scenario variable or a capture \(did you mean "id"\?\)$/,
    );
  });

  it('an unknown helper in a JSON body, at its leaf', () => {
    const text = MINIMAL.replace('get: /', 'post: /\n        json: { n: "{{ random.float() }}" }');
    const issues = issuesOf(text);
    expectIssue(issues, 'flows[0].steps[0].json.n', 6, 24, /^unknown helper "random\.float\(\)"/);
  });

  it('missing flows', () => {
    const issues = issuesOf('load: { model: closed, users: 1, duration: 1s }\n');
    expectIssue(issues, 'flows', 1, 1, /^required key is missing: expected a list of flows/);
  });

  it('a step with two kinds, at the second kind', () => {
    const issues = issuesOf(MINIMAL.replace('- get: /', '- get: /\n        think: 1s'));
    expectIssue(
      issues,
      'flows[0].steps[0].think',
      6,
      9,
      /^a step has exactly one kind: expected one of get or think, found both$/,
    );
  });

  it('a step with no kind, suggesting the kind a key was meant to be', () => {
    const issues = issuesOf(MINIMAL.replace('- get: /', '- gte: /'));
    expectIssue(issues, 'flows[0].steps[0].gte', 5, 9, /found "gte" \(did you mean "get"\?\)$/);
  });

  it('a missing CSV file', () => {
    const issues = issuesOf(`data: { file: nobody.csv }\n${MINIMAL}`);
    expectIssue(
      issues,
      'data.file',
      1,
      15,
      new RegExp(
        '^expected a CSV file relative to the scenario, found "nobody\\.csv" ' +
          '\\(no file at .*nobody\\.csv\\)$',
      ),
    );
  });

  it('a CSV file with no rows, and a column the header does not have', () => {
    const text = `data: users.csv\n${MINIMAL.replace('get: /', 'get: /{{ data.mail }}')}`;
    const empty = issuesOf(text, 'test.yaml', { 'users.csv': '' });
    expectIssue(
      empty,
      'data',
      1,
      7,
      /^expected a header row in "users\.csv", found an empty file$/,
    );

    const issues = issuesOf(text, 'test.yaml', { 'users.csv': 'email\nann@x.test\n' });
    expectIssue(
      issues,
      'flows[0].steps[0].get',
      6,
      18,
      /^unknown data column "mail": expected one of email \(did you mean "email"\?\)$/,
    );
  });

  it('bad stages', () => {
    const text = MINIMAL.replace(
      /^load: .*$/m,
      `load:
  model: closed
  stages:
    - { duration: 0s, users: 5 }
    - { duration: 1m, users: -1 }
    - { duration: 1m, rate: 5/s }`,
    );
    const issues = issuesOf(text);
    expectIssue(issues, 'load.stages[0].duration', 4, 19, /^expected a duration above 0/);
    expectIssue(issues, 'load.stages[1].users', 5, 30, /^expected a number >= 0, found -1$/);
    expectIssue(
      issues,
      'load.stages[2]',
      6,
      7,
      /^required key is missing: expected users in each stage of model closed$/,
    );
    expectIssue(
      issues,
      'load.stages[2].rate',
      6,
      23,
      /^expected users for model closed, found rate$/,
    );
  });

  it('a run that would never end', () => {
    const issues = issuesOf(MINIMAL.replace(', duration: 1s', ''));
    expectIssue(
      issues,
      'load',
      1,
      7,
      /^the run would never end: expected duration, iterations or stages$/,
    );
  });

  it('keys of the other load model', () => {
    const issues = issuesOf(MINIMAL.replace('users: 1', 'rate: 5/s'));
    expectIssue(
      issues,
      'load.rate',
      1,
      24,
      /^expected users or stages for model closed, found rate, which belongs to model open$/,
    );
    expectIssue(issues, 'load', 1, 7, /^expected users or stages for model closed, found neither$/);
  });

  it('duplicate flow names, reserved variable names, and json with body', () => {
    const text = `variables: { user: x }
${MINIMAL}  - name: only
    steps:
      - post: /
        json: {}
        body: text
`;
    const issues = issuesOf(text);
    expectIssue(issues, 'variables.user', 1, 14, /^"user" is reserved for templates/);
    expectIssue(issues, 'flows[1].name', 7, 11, /^expected a unique flow name, found "only" again/);
    expectIssue(issues, 'flows[1].steps[0].body', 11, 9, /^expected json or body, found both/);
  });

  it('a target that is not an http URL, a path without /, and a bad capture path', () => {
    const text = `target: ftp://example.test
${MINIMAL.replace('get: /', 'get: items\n        capture: { id: "$.items[x]", user: $.u }')}`;
    const issues = issuesOf(text);
    expectIssue(issues, 'target', 1, 9, /^expected an http:\/\/ or https:\/\/ URL .*found "ftp:/);
    expectIssue(
      issues,
      'flows[0].steps[0].get',
      6,
      14,
      /^expected a path starting with \/, found "items"$/,
    );
    expectIssue(
      issues,
      'flows[0].steps[0].capture.id',
      7,
      24,
      /^expected a JSON path such as \$\.id .*stopped at "\[x\]"/,
    );
    expectIssue(
      issues,
      'flows[0].steps[0].capture.user',
      7,
      38,
      /^"user" is reserved for templates/,
    );
  });

  it('stages that would send nothing', () => {
    const issues = issuesOf(
      MINIMAL.replace(
        /^load: .*$/m,
        'load: { model: open, stages: [{ duration: 1m, rate: 0/s }] }',
      ),
    );
    expectIssue(
      issues,
      'load.stages',
      1,
      30,
      /^expected a stage with rate above 0, found 0 in every stage: the run would send nothing$/,
    );
  });

  it('a YAML syntax error, at its position', () => {
    const issues = issuesOf('load: { model: closed\nflows: []\n');
    assert.ok(issues.length >= 1);
    assert.deepEqual([issues[0].line, issues[0].path], [2, '']);
    assert.match(issues[0].message, /^flow map/);
  });

  it('mistakes in a JSON file, at their JSON positions', () => {
    const json = `{
  "load": {"model": "closed", "users": 2, "duration": "1x"},
  "flows": [{"name": "a", "steps": [{"get": "/", "expect": {"status": "ok"}}]}],
  "thresholds": ["rps >> 2"]
}
`;
    const issues = issuesOf(json, 'test.json');
    expectIssue(issues, 'load.duration', 2, 55, /found "1x"$/);
    expectIssue(
      issues,
      'flows[0].steps[0].expect.status',
      3,
      71,
      /^expected a status code from 100 to 599 or a list of them, found "ok"$/,
    );
    expectIssue(issues, 'thresholds[0]', 4, 24, /^expected a non-negative number, found ">"$/);
  });

  it('an empty file', () => {
    const issues = issuesOf('# nothing yet\n');
    expectIssue(issues, '', 1, 1, /^expected a mapping with load and flows, found an empty file$/);
  });

  it('a JSON file whose top level is not an object', () => {
    const issues = issuesOf('[1, 2]', 'test.json');
    expectIssue(issues, '', 1, 1, /^expected a JSON object, found a list$/);
  });
});

describe('several mistakes in one file', () => {
  it('are all reported, in reading order', () => {
    const text = `laod: { model: closed }
load: { model: closed, users: 0, duration: 1s }
flows:
  - name: a
    weight: 0
    steps:
      - get: /{{ nope }}
      - think: 5
thresholds: [p100.5 < 1s]
`;
    const issues = issuesOf(text);
    assert.deepEqual(
      issues.map((issue) => [issue.line, issue.column, issue.path]),
      [
        [1, 1, 'laod'],
        [2, 31, 'load.users'],
        [5, 13, 'flows[0].weight'],
        [7, 18, 'flows[0].steps[0].get'],
        [8, 16, 'flows[0].steps[1].think'],
        [9, 14, 'thresholds[0]'],
      ],
    );
  });
});

describe('issue reporting', () => {
  it('formats one issue per line as file:line:col path: message', () => {
    const text = MINIMAL + '      - think: fast\n';
    assert.throws(
      () => parseScenario(text, 'scenarios/x.yaml', 'yaml'),
      (error: unknown) => {
        assert.ok(error instanceof ScenarioError);
        assert.equal(error.code, 'E_SCENARIO');
        assert.equal(
          formatIssues(error.issues),
          'scenarios/x.yaml:6:16 flows[0].steps[1].think: expected a duration or range such as ' +
            '100ms..300ms, found "fast"',
        );
        return true;
      },
    );
  });

  it('rejects a file that is neither YAML nor JSON by its extension', () => {
    assert.throws(
      () => loadScenario('scenario.txt'),
      (error: unknown) => {
        assert.ok(error instanceof ScenarioError);
        assert.match(
          error.issues[0].message,
          /^expected a \.yaml, \.yml or \.json file, found ".txt"$/,
        );
        return true;
      },
    );
  });

  it('rejects a missing scenario file', () => {
    assert.throws(
      () => loadScenario('no/such/file.yaml'),
      (error: unknown) => {
        assert.ok(error instanceof ScenarioError);
        assert.equal(error.issues[0].message, 'expected a readable scenario file, found ENOENT');
        assert.equal(error.issues[0].file, 'no/such/file.yaml');
        return true;
      },
    );
  });
});
