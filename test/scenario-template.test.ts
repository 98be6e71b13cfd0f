import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  compileJsonTemplate,
  compileTemplate,
  JsonTemplateError,
  TemplateError,
} from '../src/scenario/template.js';
import type { TemplateContext } from '../src/scenario/types.js';

/** A context whose random source replays `draws` in a loop. */
function context(overrides: Partial<TemplateContext> = {}, draws = [0.5]): TemplateContext {
  let next = 0;
  return {
    vars: { id: 42, team: 'blue', profile: { a: 1 } },
    data: { email: 'ann@example.test' },
    userIndex: 7,
    iteration: 3,
    random: () => draws[next++ % draws.length],
    ...overrides,
  };
}

/** A seeded source (mulberry32) so two contexts with one seed draw the same numbers. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function templateError(run: () => unknown, offset: number, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof TemplateError, String(error));
    assert.match(error.message, message);
    assert.equal(error.offset, offset);
    return true;
  });
}

describe('compileTemplate', () => {
  it('marks text without {{ as static and renders it unchanged', () => {
    const template = compileTemplate('/items?sort=asc');
    assert.equal(template.isStatic, true);
    assert.equal(template.render(context()), '/items?sort=asc');
  });

  it('renders variables, user.index, iteration and data columns', () => {
    const template = compileTemplate('/u/{{user.index}}/{{ iteration }}/{{ id }}/{{ data.email }}');
    assert.equal(template.isStatic, false);
    assert.equal(template.render(context()), '/u/7/3/42/ann@example.test');
  });

  it('renders a missing variable as an empty string and an object as JSON', () => {
    const template = compileTemplate('[{{ nothing }}][{{ profile }}]');
    assert.equal(template.render(context()), '[][{"a":1}]');
  });

  it('draws random.int within both bounds, inclusive', () => {
    const template = compileTemplate('{{ random.int(1, 3) }}');
    assert.equal(template.render(context({}, [0])), '1');
    assert.equal(template.render(context({}, [0.34])), '2');
    assert.equal(template.render(context({}, [0.999999])), '3');
    assert.equal(compileTemplate('{{ random.int(-2, -2) }}').render(context()), '-2');
  });

  it('draws random.string of the asked length from letters and digits', () => {
    const text = compileTemplate('{{ random.string(12) }}').render(context({ random: seeded(1) }));
    assert.match(text, /^[A-Za-z0-9]{12}$/);
  });

  it('draws uuid() as a version-4 uuid that the seed reproduces', () => {
    const template = compileTemplate('{{ uuid() }}');
    const first = template.render(context({ random: seeded(9) }));
    const again = template.render(context({ random: seeded(9) }));
    const other = template.render(context({ random: seeded(10) }));
    assert.match(first, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(again, first);
    assert.notEqual(other, first);
  });

  describe('env', () => {
    afterEach(() => delete process.env.CHATLOAD_TEST_TOKEN);

    it('reads env.NAME from the environment when compiled', () => {
      process.env.CHATLOAD_TEST_TOKEN = 'secret';
      const template = compileTemplate('Bearer {{ env.CHATLOAD_TEST_TOKEN }}');
      process.env.CHATLOAD_TEST_TOKEN = 'changed later';
      assert.equal(template.render(context()), 'Bearer secret');
    });

    it('rejects an unset environment variable', () => {
      templateError(
        () => compileTemplate('{{ env.CHATLOAD_TEST_TOKEN }}'),
        3,
        /^environment variable CHATLOAD_TEST_TOKEN is not set/,
      );
    });
  });

  it('checks variable names against the known ones, with a suggestion', () => {
    const variables = new Set(['id', 'team']);
    assert.equal(compileTemplate('{{ team }}', { variables }).render(context()), 'blue');
    templateError(
      () => compileTemplate('/items/{{ idd }}', { variables }),
      10,
      /^unknown variable "idd": expected a scenario variable or a capture \(did you mean "id"\?\)$/,
    );
  });

  it('checks data columns against the CSV header', () => {
    const dataColumns = new Set(['email', 'password']);
    templateError(
      () => compileTemplate('{{ data.emial }}', { dataColumns }),
      3,
      /^unknown data column "emial": expected one of email, password \(did you mean "email"\?\)/,
    );
    templateError(
      () => compileTemplate('{{ data.email }}', { dataColumns: new Set() }),
      3,
      /^data\.email needs a data file, but the scenario has no data$/,
    );
  });

  const mistakes: [string, number, RegExp][] = [
    ['/a/{{ id', 3, /^unclosed \{\{: expected \}\} to end the expression$/],
    ['{{ }}', 3, /^empty \{\{ \}\}: expected an expression$/],
    [
      '{{ random.float(1, 2) }}',
      3,
      /^unknown helper "random\.float\(\)".*did you mean "random\.int"/,
    ],
    ['{{ random.int(1) }}', 3, /^expected random\.int\(a, b\) with two integers, found 1 argument/],
    ['{{ random.int(5, 1) }}', 14, /^expected a <= b, found 5 > 1$/],
    ['{{ random.int(1, x) }}', 17, /^expected an integer in \{\{ \}\}, found "x"$/],
    ['{{ random.string(0) }}', 17, /^expected a length from 1 to 65536, found 0$/],
    ['{{ uuid }}', 3, /^"uuid" is a helper: expected random\.int\(a, b\)/],
    ['{{ user.name }}', 3, /^unknown name "user\.name": expected user\.index or iteration$/],
    ['{{ usr.index }}', 3, /^unknown name "usr\.index".*\(did you mean "user\.index"\?\)$/],
    ['{{ id + 1 }}', 6, /^expected \}\} in \{\{ \}\}, found "\+"$/],
  ];
  for (const [source, offset, message] of mistakes) {
    it(`rejects ${JSON.stringify(source)} at offset ${offset}`, () => {
      templateError(() => compileTemplate(source), offset, message);
    });
  }
});

describe('compileJsonTemplate', () => {
  it('keeps a body without templates static, as the same value', () => {
    const value = { title: 'hello', tags: ['a', 'b'], n: 1, none: null };
    const compiled = compileJsonTemplate(value);
    assert.equal(compiled.kind, 'static');
    assert.equal(compiled.kind === 'static' && compiled.value, value);
  });

  it('rebuilds templated leaves, keeping numbers and variables typed', () => {
    const compiled = compileJsonTemplate({
      title: 'hello {{ random.int(1, 100) }}',
      count: '{{ random.int(5, 5) }}',
      user: '{{ user.index }}',
      nested: [{ id: '{{ id }}', missing: '{{ gone }}' }, 'plain', 3],
      fixed: { a: 1 },
    });
    assert.equal(compiled.kind, 'dynamic');
    const rendered = compiled.kind === 'dynamic' && compiled.render(context({}, [0]));
    assert.deepEqual(rendered, {
      title: 'hello 1',
      count: 5,
      user: 7,
      nested: [{ id: 42, missing: '' }, 'plain', 3],
      fixed: { a: 1 },
    });
  });

  it('reports every bad leaf with its path and offset', () => {
    const variables = new Set(['id']);
    assert.throws(
      () => compileJsonTemplate({ a: '{{ nope }}', list: ['x', 'y {{ uuid(1) }}'] }, { variables }),
      (error: unknown) => {
        assert.ok(error instanceof JsonTemplateError);
        const found = error.errors.map((e) => ({ path: e.path, offset: e.offset }));
        assert.deepEqual(found, [
          { path: ['a'], offset: 3 },
          { path: ['list', 1], offset: 5 },
        ]);
        return true;
      },
    );
  });
});
