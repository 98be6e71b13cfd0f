// `chatload k8s`: the manifests of a sharded run, checked against Kubernetes' own schemas
// (kubernetes-models), against what `chatload run` in each pod needs, and, end to end,
// by validating the scenario the pods would read from the ConfigMap.
//
// The command-line tests run the compiled bin: build first (`npx tsc -p .`).

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import {
  manifestsYaml,
  parseQuantity,
  shardedRunManifests,
  type ShardedRunPlan,
} from '../src/k8s/manifests.js';
import { runCli, tempDir } from './support/cli.js';
import { startServer } from './support/ground-truth-server.js';

const SCENARIO_TEXT = `name: k8s-smoke
load: { model: closed, users: 4, duration: 1s }
timeouts: { grace: 1s }
flows:
  - name: only
    steps:
      - get: /ping
      - think: 20ms
`;

function plan(overrides: Partial<ShardedRunPlan> = {}): ShardedRunPlan {
  return {
    name: 'load-test',
    image: 'registry.example.com/chatload:1.0',
    shards: 5,
    scenario: { path: 'smoke.yaml', content: Buffer.from(SCENARIO_TEXT) },
    target: 'https://chat.example.com',
    seed: 4242,
    results: { kind: 'log' },
    cpu: '1',
    memory: '1Gi',
    secrets: [],
    runFlags: [],
    ...overrides,
  };
}

function containerOf(job: IJob): IContainer {
  return job.spec!.template.spec!.containers[0];
}

/** Kubernetes' rule for args: `$(NAME)` becomes a defined variable's value, `$$` is `$`. */
function expandLikeKubelet(arg: string, env: Record<string, string>): string {
  return arg.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name?: string) =>
    match === '$$' ? '$' : name !== undefined && name in env ? env[name] : match,
  );
}

describe('manifests', () => {
  test('the Job runs N indexed pods, each `run --shard auto` with CHATLOAD_SHARDS=N', () => {
    const { configMap, job } = shardedRunManifests(plan());
    new ConfigMap(configMap).validate();
    new Job(job).validate();

    assert.equal(job.spec?.completionMode, 'Indexed');
    assert.equal(job.spec?.completions, 5);
    assert.equal(job.spec?.parallelism, 5);
    assert.equal(job.spec?.template.spec?.restartPolicy, 'Never');
    assert.ok(job.spec?.ttlSecondsAfterFinished! > 0);

    const container = containerOf(job);
    const args = container.args!;
    assert.deepEqual(args.slice(0, 2), ['run', '/scenario/smoke.yaml']);
    assert.equal(args[args.indexOf('--shard') + 1], 'auto');
    assert.equal(args[args.indexOf('--target') + 1], 'https://chat.example.com');
    assert.equal(args[args.indexOf('--seed') + 1], '4242');
    assert.ok(args.includes('--quiet') && args.includes('--json'));
    assert.ok(!args.includes('--out'));

    const env = container.env!;
    assert.equal(env.find((v) => v.name === 'CHATLOAD_SHARDS')?.value, '5');
    assert.equal(
      env.find((v) => v.name === 'JOB_COMPLETION_INDEX')?.valueFrom?.fieldRef?.fieldPath,
      "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    );
    assert.deepEqual(container.resources?.requests, { cpu: '1', memory: '1Gi' });
    assert.equal(container.resources?.limits?.memory, '1Gi');
    assert.equal(job.metadata?.labels?.['app.kubernetes.io/name'], 'chatload');
    assert.equal(job.spec?.template.metadata?.labels?.['app.kubernetes.io/instance'], 'load-test');
  });

  test('the schema check can fail: broken manifests are refused', () => {
    const { configMap, job } = shardedRunManifests(plan());
    const brokenJob = structuredClone(job) as unknown as { spec: Record<string, unknown> };
    brokenJob.spec.completions = '5';
    assert.throws(() => new Job(brokenJob as unknown as IJob).validate(), /completions/);

    const brokenMap = structuredClone(configMap) as unknown as { data: Record<string, unknown> };
    brokenMap.data['smoke.yaml'] = 42;
    assert.throws(() => new ConfigMap(brokenMap as unknown as IConfigMap).validate(), /smoke/);

    const brokenQuantity = shardedRunManifests(plan({ cpu: 'one' })).job;
    assert.throws(() => new Job(brokenQuantity).validate(), /quantity/);
  });

  test('the ConfigMap holds the exact scenario text, through YAML and back', () => {
    const awkward =
      '\uFEFF# scénario — ünïcode\r\nname: "x"   \r\n\tkey: |\n  ---\n...\nlast line, no newline ';
    const data = 'email,name\na@x.test,Ann\n';
    const manifests = shardedRunManifests(
      plan({
        scenario: { path: 'awkward.yaml', content: Buffer.from(awkward) },
        data: { path: 'data/users.csv', content: Buffer.from(data) },
      }),
    );
    assert.equal(manifests.configMap.data?.['awkward.yaml'], awkward);

    const text = manifestsYaml([manifests.configMap, manifests.job]);
    const documents = parseAllDocuments(text);
    assert.ok(Array.isArray(documents));
    assert.equal(documents.length, 2);
    assert.deepEqual(documents[0].toJS(), manifests.configMap);
    assert.deepEqual(documents[1].toJS(), manifests.job);
    assert.equal(documents[0].toJS().data['awkward.yaml'], awkward);

    // The data file keeps its place relative to the scenario, under a key Kubernetes allows.
    const items = manifests.job.spec?.template.spec?.volumes?.[0].configMap?.items;
    assert.deepEqual(items, [
      { key: 'awkward.yaml', path: 'awkward.yaml' },
      { key: 'data_users.csv', path: 'data/users.csv' },
    ]);
    assert.equal(manifests.configMap.data?.['data_users.csv'], data);
  });

  test('bytes that are not UTF-8 go, unchanged, in binaryData', () => {
    const bytes = Uint8Array.from([0x6e, 0x61, 0x6d, 0x65, 0x0a, 0xff, 0xfe, 0x41, 0x0a]);
    const { configMap } = shardedRunManifests(
      plan({ data: { path: 'latin.csv', content: bytes } }),
    );
    new ConfigMap(configMap).validate();
    assert.equal(configMap.data?.['latin.csv'], undefined);
    assert.deepEqual(
      Uint8Array.from(Buffer.from(configMap.binaryData!['latin.csv'], 'base64')),
      bytes,
    );
  });

  test('pvc results: the claim is mounted at /results and each shard writes its own file', () => {
    const { job } = shardedRunManifests(plan({ results: { kind: 'pvc', claim: 'load-results' } }));
    new Job(job).validate();

    const pod = job.spec!.template.spec!;
    const volume = pod.volumes?.find((v) => v.persistentVolumeClaim !== undefined);
    assert.equal(volume?.persistentVolumeClaim?.claimName, 'load-results');
    const mount = containerOf(job).volumeMounts?.find((m) => m.name === volume?.name);
    assert.equal(mount?.mountPath, '/results');
    assert.ok(pod.securityContext?.fsGroup !== undefined, 'the volume is made writable');

    const args = containerOf(job).args!;
    assert.ok(!args.includes('--json'));
    const out = args[args.indexOf('--out') + 1];
    assert.equal(out, '/results/load-test-shard-$(JOB_COMPLETION_INDEX).json');
    const files = [0, 1, 2].map((i) => expandLikeKubelet(out, { JOB_COMPLETION_INDEX: `${i}` }));
    assert.deepEqual(files, [
      '/results/load-test-shard-0.json',
      '/results/load-test-shard-1.json',
      '/results/load-test-shard-2.json',
    ]);
  });

  test('our values stay literal in args; $(VAR) in the run flags is expanded', () => {
    const { job } = shardedRunManifests(
      plan({
        scenario: { path: 'price$(HOME)$$.yaml', content: Buffer.from(SCENARIO_TEXT) },
        secrets: ['chat-admin'],
        runFlags: ['--admin-user', '$(ADMIN_USER)'],
      }),
    );
    new Job(job).validate();
    const env = { HOME: '/home/node', ADMIN_USER: 'sysadmin' };
    const expanded = containerOf(job).args!.map((arg) => expandLikeKubelet(arg, env));
    assert.equal(expanded[1], '/scenario/price$(HOME)$$.yaml');
    assert.equal(expanded[expanded.indexOf('--admin-user') + 1], 'sysadmin');
    assert.deepEqual(containerOf(job).envFrom, [{ secretRef: { name: 'chat-admin' } }]);
  });

  test('quantities are read as Kubernetes reads them', () => {
    const cases: [string, number | undefined][] = [
      ['500m', 0.5],
      ['2', 2],
      ['1.5', 1.5],
      ['1Gi', 2 ** 30],
      ['512Mi', 512 * 2 ** 20],
      ['1e3', 1000],
      ['2k', 2000],
      ['one', undefined],
      ['1GB', undefined],
      ['-1', undefined],
      ['', undefined],
    ];
    for (const [text, value] of cases) {
      assert.equal(parseQuantity(text), value, text);
      // The schema's own "quantity" format agrees on which texts are quantities.
      const accepted = (() => {
        try {
          new Job(shardedRunManifests(plan({ cpu: text })).job).validate();
          return true;
        } catch {
          return false;
        }
      })();
      if (text !== '-1') assert.equal(accepted, value !== undefined, `schema on "${text}"`);
    }
  });
});

/** A scenario folder: the scenario, its CSV in a subfolder, optionally a target. */
function scenarioFolder(prefix: string, extra = ''): { dir: string; file: string } {
  const dir = tempDir(prefix);
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'users.csv'), 'email\nann@x.test\nbob@x.test\n');
  const file = join(dir, 'smoke.yaml');
  writeFileSync(
    file,
    `${extra}data: data/users.csv\n${SCENARIO_TEXT.replace('/ping', '/ping/{{ data.email }}')}`,
  );
  return { dir, file };
}

const REQUIRED = ['--shards', '3', '--image', 'registry.example.com/chatload:1.0'];

type Manifest = Record<string, any>;

/** Writes the ConfigMap's files where the kubelet would put them; returns the mount path. */
function layOutScenarioVolume(configMap: Manifest, job: Manifest, root: string): string {
  const pod = job.spec.template.spec;
  const volume = pod.volumes.find((v: Manifest) => v.configMap?.name === configMap.metadata.name);
  const mount = pod.containers[0].volumeMounts.find((m: Manifest) => m.name === volume.name);
  for (const item of volume.configMap.items as { key: string; path: string }[]) {
    mkdirSync(dirname(join(root, item.path)), { recursive: true });
    writeFileSync(join(root, item.path), configMap.data[item.key]);
  }
  return mount.mountPath;
}

describe('chatload k8s', () => {
  test('the pods read back a valid scenario from the ConfigMap (chatload validate)', async () => {
    const { dir, file } = scenarioFolder('k8s-e2e');
    const generated = await runCli(
      ['k8s', file, ...REQUIRED, '--target', 'http://chat.internal:8065', '--results', 'pvc:r'],
      dir,
    );
    assert.equal(generated.code, 0, generated.stderr);
    const [configMap, job] = parseAllDocuments(generated.stdout).map((d) => d.toJS());
    new ConfigMap(configMap).validate();
    new Job(job).validate();
    assert.equal(configMap.data['smoke.yaml'], readFileSync(file, 'utf8'));

    // Lay the ConfigMap out as the kubelet does, at the volume's items, under a mount folder.
    const mountDir = join(tempDir('k8s-mount'), 'scenario');
    const mountPath = layOutScenarioVolume(configMap, job, mountDir);
    const scenarioArg: string = job.spec.template.spec.containers[0].args[1];
    assert.ok(scenarioArg.startsWith(`${mountPath}/`), scenarioArg);
    const local = join(mountDir, scenarioArg.slice(mountPath.length + 1));
    const validated = await runCli(['validate', local], dir);
    assert.equal(validated.code, 0, validated.stderr);
    assert.match(validated.stdout, /ok \(k8s-smoke, 1 flows\)/);

    // Without the data item the same check fails: it does look at what the pods get.
    const bare = join(tempDir('k8s-bare'), 'smoke.yaml');
    writeFileSync(bare, configMap.data['smoke.yaml']);
    const refused = await runCli(['validate', bare], dir);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /users\.csv/);
  });

  test('each pod, run as Kubernetes would run it, measures its own share of the load', async () => {
    const server = await startServer(() => ({}));
    const { dir, file } = scenarioFolder('k8s-pods');
    try {
      const generated = await runCli(
        ['k8s', file, '--shards', '2', '--image', 'chatload', '--target', 'http://chat.internal'],
        dir,
      );
      assert.equal(generated.code, 0, generated.stderr);
      const [configMap, job] = parseAllDocuments(generated.stdout).map((d) => d.toJS());
      const mountDir = join(tempDir('k8s-pods-mount'), 'scenario');
      const mountPath = layOutScenarioVolume(configMap, job, mountDir);

      // The pod's args, with its paths and target moved to this machine.
      const container = job.spec.template.spec.containers[0];
      const args = (container.args as string[]).map((arg, i, all) =>
        arg.startsWith(`${mountPath}/`)
          ? join(mountDir, arg.slice(mountPath.length + 1))
          : all[i - 1] === '--target'
            ? server.url
            : arg,
      );
      const shards = container.env.find((v: Manifest) => v.name === 'CHATLOAD_SHARDS').value;
      const outcomes = await Promise.all(
        [0, 1].map((index) =>
          runCli(args, tempDir(`k8s-pod-${index}`), {
            JOB_COMPLETION_INDEX: String(index),
            CHATLOAD_SHARDS: shards,
          }),
        ),
      );

      const documents = outcomes.map((outcome) => {
        assert.equal(outcome.code, 0, outcome.stderr);
        return JSON.parse(outcome.stdout); // --results log: stdout is the result document
      });
      assert.deepEqual(
        documents.map((document) => document.shard),
        [
          { index: 1, count: 2 },
          { index: 2, count: 2 },
        ],
      );
      const sent = documents.reduce((sum, document) => sum + document.totals.requests, 0);
      const received = [...server.received.values()].reduce((sum, count) => sum + count, 0);
      assert.ok(received > 0);
      assert.equal(sent, received, 'the shards together sent what the server received');
    } finally {
      await server.close();
    }
  });

  test('a scenario that names its target needs no --target, and keeps it to itself', async () => {
    const { dir, file } = scenarioFolder('k8s-own-target', 'target: http://chat.internal\n');
    const outcome = await runCli(['k8s', file, ...REQUIRED], dir);
    assert.equal(outcome.code, 0, outcome.stderr);
    const job = parseAllDocuments(outcome.stdout)[1].toJS();
    const args: string[] = job.spec.template.spec.containers[0].args;
    assert.ok(!args.includes('--target'));
    assert.match(args[args.indexOf('--seed') + 1], /^\d+$/, 'a seed is picked for all shards');
  });

  test('bad input is refused with exit 2, the flag and what was found', async () => {
    const { dir, file } = scenarioFolder('k8s-refusals');
    const outside = join(tempDir('k8s-outside'), 'far.yaml');
    writeFileSync(outside, `data: ${join(dir, 'data', 'users.csv')}\n${SCENARIO_TEXT}`);
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'name: broken\nflows: []\n');
    const target = ['--target', 'http://chat.internal'];

    const cases: [string[], RegExp][] = [
      [['k8s', file, ...REQUIRED], /has no target and --target is not given/],
      [['k8s', file, ...target, '--image', 'x', '--shards', '0'], /--shards: .*found "0"/],
      [['k8s', file, ...target, '--image', 'x', '--shards', 'two'], /--shards: .*found "two"/],
      [['k8s', file, ...target, '--image', 'x', '--shards', '1.5'], /--shards: .*found "1.5"/],
      [['k8s', file, ...target, '--shards', '2'], /--image/],
      [['k8s', file, ...target, '--shards', '2', '--image', ' '], /--image: .*found " "/],
      [['k8s', file, ...target, ...REQUIRED, '--name', 'Load_Test'], /--name: .*"Load_Test"/],
      [['k8s', file, ...target, ...REQUIRED, '--namespace', 'a.b'], /--namespace: .*"a\.b"/],
      [['k8s', file, ...target, ...REQUIRED, '--results', 's3:x'], /--results: .*"s3:x"/],
      [['k8s', file, ...target, ...REQUIRED, '--results', 'pvc:'], /--results: .*"pvc:"/],
      [['k8s', file, ...target, ...REQUIRED, '--cpu', 'lots'], /--cpu: .*"lots"/],
      [['k8s', file, ...target, ...REQUIRED, '--seed', 'abc'], /--seed: .*"abc"/],
      [['k8s', file, ...target, ...REQUIRED, '--', '--seed', '1'], /--seed cannot be passed/],
      [['k8s', file, ...target, ...REQUIRED, '--workers', '0'], /--workers: .*"0"/],
      [['k8s', file, ...target, ...REQUIRED, '--start-at', 'noon'], /--start-at: .*"noon"/],
      [
        ['k8s', file, ...target, ...REQUIRED, '--start-at', '2000-01-01T00:00:00Z'],
        /--start-at: expected a time in the future/,
      ],
      [['k8s', file, ...target, ...REQUIRED, '--', '--out', 'x.json'], /--out cannot be passed/],
      [['k8s', file, ...target, ...REQUIRED, '--', '--fast'], /--fast: expected a flag of/],
      [['k8s', file, ...target, ...REQUIRED, '--target', 'ftp://x'], /--target: .*ftp/],
      [['k8s', outside, ...target, ...REQUIRED], /outside the scenario's folder/],
      [['k8s', broken, ...target, ...REQUIRED], /invalid scenario/],
    ];
    for (const [args, message] of cases) {
      const outcome = await runCli(args, dir);
      const shown = args.slice(2).join(' ');
      assert.equal(outcome.code, 2, `${shown}: ${outcome.stderr}`);
      assert.match(outcome.stderr, message, shown);
      assert.equal(outcome.stdout, '', `${shown}: nothing is printed on stdout`);
    }
  });
});
