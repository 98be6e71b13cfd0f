import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadScenario, parseScenario } from '../src/scenario/load.js';
import type { HttpStep, TemplateContext } from '../src/scenario/types.js';
import { MINIMAL, scenarioFrom, writeFiles } from './scenario-fixtures.js';

const EXAMPLE = `name: example
target: http://127.0.0.1:8080
load: { model: closed, users: 20, duration: 30s }
timeouts: { request: 30s, stall: 2s }
flows:
  - name: reader
    weight: 3
    steps:
      - get: /items/{{ user.index }}
        name: item
        expect: { status: 200 }
      - think: 100ms..300ms
  - name: writer
    weight: 1
    steps:
      - post: /items
        name: create
        json: { title: "hello {{ random.int(1, 100) }}" }
        capture: { id: $.id }
      - get: /items/{{ id }}
        name: read-back
thresholds:
  - p99(item) < 300ms
  - stalled == 0
`;

const ctx: TemplateContext = {
  vars: { id: 'abc' },
  data: {},
  userIndex: 4,
  iteration: 0,
  random: () => 0,
};

function withLoad(load: string): string {
  return MINIMAL.replace(/^load: .*$/m, load);
}

describe('loadScenario: the documented examples', () => {
  it('compiles the closed example into flows, steps, timeouts and thresholds', () => {
    const scenario = scenarioFrom(EXAMPLE, 'example.yaml');
    assert.equal(scenario.name, 'example');
    assert.equal(scenario.target, 'http://127.0.0.1:8080');
    assert.equal(path.isAbsolute(scenario.file), true);
    assert.deepEqual(scenario.load, {
      model: 'closed',
      startUsers: 20,
      stages: [{ durationMs: 30_000, users: 20 }],
    });
    assert.deepEqual(scenario.timeouts, { requestMs: 30_000, stallMs: 2000, graceMs: 10_000 });
    assert.deepEqual(scenario.http, {});
    assert.deepEqual(
      scenario.flows.map((flow) => [flow.name, flow.weight, flow.steps.map((s) => s.kind)]),
      [
        ['reader', 3, ['http', 'think']],
        ['writer', 1, ['http', 'http']],
      ],
    );
    assert.deepEqual(
      scenario.thresholds.map((t) => [t.source, t.metric.kind, t.step, t.value, t.unit]),
      [
        ['p99(item) < 300ms', 'percentile', 'item', 300, 'ms'],
        ['stalled == 0', 'stalled', undefined, 0, 'count'],
      ],
    );
    assert.equal((scenario.raw as { name: string }).name, 'example');
  });

  it('compiles the steps of the closed example', () => {
    const [reader, writer] = scenarioFrom(EXAMPLE, 'example.yaml').flows;
    const item = reader.steps[0] as HttpStep;
    assert.equal(item.name, 'item');
    assert.equal(item.method, 'GET');
    assert.equal(item.path.render(ctx), '/items/4');
    assert.deepEqual(item.expectStatus, [200]);
    assert.match(item.location, /example\.yaml:9:9$/);
    assert.deepEqual(reader.steps[1], { kind: 'think', minMs: 100, maxMs: 300 });

    const [create, readBack] = writer.steps as HttpStep[];
    assert.equal(create.method, 'POST');
    assert.deepEqual(create.json?.kind === 'dynamic' && create.json.render(ctx), {
      title: 'hello 1',
    });
    assert.deepEqual(create.capture, [
      { variable: 'id', source: { from: 'json', path: ['id'], source: '$.id' } },
    ]);
    assert.deepEqual(create.expectStatus, []);
    assert.equal(readBack.path.render(ctx), '/items/abc');
  });

  it('compiles the open example', () => {
    const scenario = scenarioFrom(
      withLoad('load: { model: open, rate: 200/s, duration: 1m, maxUsers: 500 }'),
    );
    assert.deepEqual(scenario.load, {
      model: 'open',
      startRatePerSec: 200,
      stages: [{ durationMs: 60_000, ratePerSec: 200 }],
      maxUsers: 500,
    });
  });

  it('compiles the closed stages example, starting from zero users', () => {
    const load = `load:
  model: closed
  stages:
    - { duration: 10s, users: 50 }
    - { duration: 1m, users: 50 }
    - { duration: 10s, users: 0 }`;
    assert.deepEqual(scenarioFrom(withLoad(load)).load, {
      model: 'closed',
      startUsers: 0,
      stages: [
        { durationMs: 10_000, users: 50 },
        { durationMs: 60_000, users: 50 },
        { durationMs: 10_000, users: 0 },
      ],
    });
  });
});

describe('loadScenario: defaults and load models', () => {
  it('fills in the documented defaults', () => {
    const scenario = scenarioFrom(MINIMAL, 'smoke.yaml');
    assert.equal(scenario.name, 'smoke');
    assert.equal(scenario.target, undefined);
    assert.deepEqual(scenario.timeouts, { requestMs: 60_000, stallMs: 5000, graceMs: 10_000 });
    assert.deepEqual(scenario.http, {});
    assert.deepEqual(scenario.variables, {});
    assert.equal(scenario.data, undefined);
    assert.equal(scenario.flows[0].weight, 1);
    assert.deepEqual(scenario.thresholds, []);
    assert.equal((scenario.flows[0].steps[0] as HttpStep).name, 'GET /');
  });

  it('defaults maxUsers to 1000 for the open model', () => {
    const scenario = scenarioFrom(withLoad('load: { model: open, rate: 600/m, duration: 5s }'));
    assert.deepEqual(scenario.load, {
      model: 'open',
      startRatePerSec: 10,
      stages: [{ durationMs: 5000, ratePerSec: 10 }],
      maxUsers: 1000,
    });
  });

  it('runs a closed model on iterations alone, with no stages', () => {
    const scenario = scenarioFrom(withLoad('load: { model: closed, users: 5, iterations: 3 }'));
    assert.deepEqual(scenario.load, { model: 'closed', startUsers: 5, stages: [], iterations: 3 });
  });

  it('ramps open stages from startRate and keeps an iteration cap', () => {
    const load = `load:
  model: open
  startRate: 5/s
  iterations: 1000
  maxUsers: 50
  stages: [{ duration: 30s, rate: 100/s }, { duration: 30s, rate: 0/s }]`;
    assert.deepEqual(scenarioFrom(withLoad(load)).load, {
      model: 'open',
      startRatePerSec: 5,
      stages: [
        { durationMs: 30_000, ratePerSec: 100 },
        { durationMs: 30_000, ratePerSec: 0 },
      ],
      maxUsers: 50,
      iterations: 1000,
    });
  });

  it('disables the request timeout with off, none or 0, and reads grace', () => {
    for (const value of ['off', 'none', '0']) {
      const text = `${MINIMAL}timeouts: { request: ${value}, grace: 1m }\n`;
      assert.deepEqual(scenarioFrom(text).timeouts, {
        requestMs: 0,
        stallMs: 5000,
        graceMs: 60_000,
      });
    }
  });
});

describe('loadScenario: steps', () => {
  it('compiles headers, body, expectations, captures and a step timeout', () => {
    const text = `variables: { token: abc, limit: 10 }
load: { model: closed, users: 1, duration: 1s }
http: { connections: 8 }
flows:
  - name: api
    steps:
      - put: /items/{{ user.index }}?limit={{ limit }}
        headers: { Authorization: "Bearer {{ token }}", X-Retry: 3 }
        body: "raw {{ iteration }}"
        timeout: 5s
        expect:
          status: [200, 201]
          json: { "$.items[2].id": 7, "$.ok": true }
          exists: [$.id]
        capture: { etag: header.ETag, first: "$.items[0]['name']" }
`;
    const scenario = scenarioFrom(text);
    const step = scenario.flows[0].steps[0] as HttpStep;
    assert.deepEqual(scenario.http, { connections: 8 });
    assert.equal(step.name, 'PUT /items/{{ user.index }}?limit={{ limit }}');
    assert.equal(step.path.render({ ...ctx, vars: { limit: 10 } }), '/items/4?limit=10');
    assert.deepEqual(
      step.headers.map((h) => [h.name, h.value.render({ ...ctx, vars: { token: 'abc' } })]),
      [
        ['Authorization', 'Bearer abc'],
        ['X-Retry', '3'],
      ],
    );
    assert.equal(step.body?.render({ ...ctx, iteration: 2 }), 'raw 2');
    assert.equal(step.json, undefined);
    assert.equal(step.timeoutMs, 5000);
    assert.deepEqual(step.expectStatus, [200, 201]);
    assert.deepEqual(step.expectJson, [
      { path: ['items', 2, 'id'], source: '$.items[2].id', equals: 7 },
      { path: ['ok'], source: '$.ok', equals: true },
      { path: ['id'], source: '$.id', exists: true },
    ]);
    assert.deepEqual(step.capture, [
      { variable: 'etag', source: { from: 'header', name: 'etag', source: 'header.ETag' } },
      {
        variable: 'first',
        source: { from: 'json', path: ['items', 0, 'name'], source: "$.items[0]['name']" },
      },
    ]);
  });

  it('compiles loops by count or duration, and groups, with their inner steps', () => {
    const text = `load: { model: closed, users: 1, iterations: 1 }
flows:
  - name: chat
    steps:
      - loop: 3
        steps: [{ get: /a }, { think: 1s }]
      - loop: 10s
        steps: [{ delete: /b }]
      - group: checkout
        steps: [{ head: /c }]
`;
    const [count, timed, group] = scenarioFrom(text).flows[0].steps;
    assert.equal(count.kind === 'loop' && count.count, 3);
    assert.equal(count.kind === 'loop' && count.durationMs, undefined);
    assert.deepEqual(count.kind === 'loop' && count.steps[1], {
      kind: 'think',
      minMs: 1000,
      maxMs: 1000,
    });
    assert.equal(timed.kind === 'loop' && timed.durationMs, 10_000);
    assert.equal(
      timed.kind === 'loop' && timed.steps[0].kind === 'http' && timed.steps[0].method,
      'DELETE',
    );
    assert.equal(group.kind === 'group' && group.name, 'checkout');
    assert.equal(
      group.kind === 'group' && group.steps[0].kind === 'http' && group.steps[0].name,
      'HEAD /c',
    );
  });
});

describe('loadScenario: thresholds', () => {
  it('accepts a threshold on a step known only by its default name', () => {
    const text =
      MINIMAL.replace('get: /', 'get: /items/{{ user.index }}') +
      'thresholds: ["p99(GET /items/{{ user.index }}) < 300ms", errors < 1%]\n';
    const [latency, errors] = scenarioFrom(text).thresholds;
    assert.equal(latency.step, 'GET /items/{{ user.index }}');
    assert.deepEqual([errors.metric.kind, errors.value, errors.unit], ['errors', 1, 'percent']);
  });
});

describe('loadScenario: data and formats', () => {
  it('reads the CSV beside the scenario, and data.<column> renders from the row', () => {
    const text = `data: { file: users.csv, pick: random }
${MINIMAL}`.replace('get: /', 'get: /login/{{ data.email }}');
    const scenario = scenarioFrom(text, 'test.yaml', {
      'users.csv': 'email,password\nann@x.test,one\nbob@x.test,two\n',
    });
    assert.equal(scenario.data?.pick, 'random');
    assert.equal(path.basename(scenario.data?.file ?? ''), 'users.csv');
    assert.deepEqual(scenario.data?.rows, [
      { email: 'ann@x.test', password: 'one' },
      { email: 'bob@x.test', password: 'two' },
    ]);
    const step = scenario.flows[0].steps[0] as HttpStep;
    assert.equal(step.path.render({ ...ctx, data: scenario.data!.rows[1] }), '/login/bob@x.test');
  });

  it('reads data: file.csv as sequential picking', () => {
    const text = `data: users.csv\n${MINIMAL}`;
    const scenario = scenarioFrom(text, 'test.yaml', { 'users.csv': 'id\n1\n' });
    assert.equal(scenario.data?.pick, 'sequential');
  });

  it('reads a JSON scenario into the same structure as its YAML twin', () => {
    const json = JSON.stringify({
      name: 'example',
      target: 'http://127.0.0.1:8080',
      load: { model: 'closed', users: 20, duration: '30s' },
      timeouts: { request: '30s', stall: '2s' },
      flows: [
        { name: 'reader', weight: 3, steps: [{ get: '/items/{{ user.index }}', name: 'item' }] },
      ],
      thresholds: ['p99(item) < 300ms'],
    });
    const scenario = scenarioFrom(json, 'example.json');
    assert.deepEqual(scenario.load, scenarioFrom(EXAMPLE, 'example.yaml').load);
    assert.equal((scenario.flows[0].steps[0] as HttpStep).path.render(ctx), '/items/4');
    assert.equal(scenario.thresholds[0].step, 'item');
  });

  it('parses inline text with parseScenario, keeping the name it was given', () => {
    const scenario = parseScenario(MINIMAL, '<inline>', 'yaml');
    assert.equal(scenario.file, '<inline>');
    assert.equal(scenario.name, 'scenario');
  });

  it('accepts .yml files', () => {
    const dir = writeFiles({ 'a.yml': MINIMAL });
    assert.equal(loadScenario(path.join(dir, 'a.yml')).name, 'a');
  });
});
