// `chatload k8s <scenario> --shards N --image IMAGE`: prints the Kubernetes manifests of a
// sharded run (a ConfigMap with the scenario and its data, an Indexed Job of N pods, each
// running `chatload run --shard auto`), for `kubectl apply -f`. Nothing is sent anywhere.
//
// Every check that would otherwise fail in N pods at once, minutes later, is made here:
// the scenario, the target, names Kubernetes would refuse, run flags the pods cannot use.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { freshSeed } from '../engine/random.js';
import { loadScenario } from '../scenario/load.js';
import type { Scenario } from '../scenario/types.js';
import {
  CONFIGMAP_LIMIT_BYTES,
  MAX_SHARDS,
  dnsLabelProblem,
  dnsSubdomainProblem,
  manifestsYaml,
  parseQuantity,
  shardedRunManifests,
  type BundledFile,
  type ResultsSink,
  type ShardedRunPlan,
} from '../k8s/manifests.js';
import { EXIT, UsageError } from './exit-codes.js';
import { applyOverrides, seedFlag } from './overrides.js';

export interface K8sFlags {
  shards: string;
  image: string;
  namespace?: string;
  name?: string;
  target?: string;
  results: string;
  startAt?: string;
  seed?: string;
  cpu: string;
  memory: string;
  workers?: string;
  secret: string[];
}

/** `kubectl apply` keeps a copy of each object in an annotation of at most 256 KiB. */
const APPLY_ANNOTATION_BYTES = 256 * 1024;

/** Run flags the manifest sets itself, and why they cannot be passed again. */
const FLAGS_SET_BY_MANIFEST: Record<string, string> = {
  '--shard': 'each pod runs --shard auto',
  '--target': 'use chatload k8s --target',
  '--start-at': 'use chatload k8s --start-at',
  '--workers': 'use chatload k8s --workers',
  '--json': 'use chatload k8s --results',
  '--out': 'use chatload k8s --results',
  '--quiet': 'the pods already run with --quiet',
  '--seed': 'use chatload k8s --seed',
  '--baseline': 'it reads a file the pods do not have; compare the merged result instead',
  '--probe-baseline': 'it reads a file the pods do not have',
  '--html': 'the file would be lost with the pod; make it from the merged result',
  '--junit': 'the file would be lost with the pod; make it from the merged result',
  '--summary-md': 'the file would be lost with the pod; make it from the merged result',
};

export function k8sCommand(
  file: string,
  runFlags: string[],
  flags: K8sFlags,
  runOptions: string[],
): number {
  const scenario = loadScenario(file);
  const shards = shardsFlag(flags.shards);
  const target = applyOverrides(scenario, { target: flags.target, threshold: [] }).target;
  if (target === undefined) {
    throw new UsageError(
      `${file} has no target and --target is not given: expected the URL of the server ` +
        'under test (without one, each pod would start and load its own bundled server)',
    );
  }
  warnIfLoopback(target);

  const plan: ShardedRunPlan = {
    name: nameFlag(flags.name, scenario, shards),
    image: imageFlag(flags.image),
    shards,
    ...bundledFiles(file, scenario),
    // Left to the scenario when it names the target itself, so the ConfigMap says it all.
    ...(flags.target !== undefined ? { target } : {}),
    seed: seedFlag(flags.seed) ?? freshSeed(),
    results: resultsFlag(flags.results),
    cpu: quantityFlag('--cpu', flags.cpu),
    memory: quantityFlag('--memory', flags.memory),
    secrets: flags.secret.map((name) => subdomainFlag('--secret', name)),
    runFlags: checkRunFlags(runFlags, runOptions),
  };
  if (flags.namespace !== undefined) plan.namespace = labelFlag('--namespace', flags.namespace);
  if (flags.startAt !== undefined) plan.startAt = startAtFlag(flags.startAt);
  if (flags.workers !== undefined) plan.workers = workersFlag(flags.workers, plan.cpu);
  if (scenario.chat !== undefined) warnIfNoAdmin(plan.runFlags);

  const { configMap, job } = shardedRunManifests(plan);
  process.stdout.write(manifestsYaml([configMap, job]));
  log(
    `${shards} shards of ${scenario.name} as job/${plan.name}, seed ${plan.seed}` +
      (plan.namespace ? ` in namespace ${plan.namespace}` : '') +
      `; results ${plan.results.kind === 'log' ? 'in the pod logs' : `on ${flags.results}`}`,
  );
  return EXIT.ok;
}

function shardsFlag(text: string): number {
  const shards = Number(text);
  if (!/^\d+$/.test(text) || shards < 1 || shards > MAX_SHARDS) {
    throw new UsageError(
      `--shards: expected a whole number from 1 to ${MAX_SHARDS}, found "${text}"`,
    );
  }
  return shards;
}

// The Job's name is also each pod's hostname with `-<index>` added, which is a label too.
function nameFlag(text: string | undefined, scenario: Scenario, shards: number): string {
  const room = 63 - `-${shards - 1}`.length;
  if (text !== undefined) {
    labelFlag('--name', text);
    if (text.length > room) {
      throw new UsageError(
        `--name: expected at most ${room} characters for ${shards} shards (the pods' ` +
          `hostnames are the name, '-' and the index), found ${text.length} in "${text}"`,
      );
    }
    return text;
  }
  const slug = `chatload-${scenario.name}`
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, room)
    .replace(/-+$/, '');
  return slug;
}

function labelFlag(flag: string, text: string): string {
  const problem = dnsLabelProblem(text);
  if (problem) {
    throw new UsageError(`${flag}: expected a DNS-1123 label (${problem}), found "${text}"`);
  }
  return text;
}

function subdomainFlag(flag: string, text: string): string {
  const problem = dnsSubdomainProblem(text);
  if (problem) {
    throw new UsageError(
      `${flag}: expected a Kubernetes object name (${problem}), found "${text}"`,
    );
  }
  return text;
}

function imageFlag(text: string): string {
  if (text.trim() === '' || /\s/.test(text)) {
    throw new UsageError(
      `--image: expected an image reference such as registry/chatload:1.0, found "${text}"`,
    );
  }
  return text;
}

function resultsFlag(text: string): ResultsSink {
  if (text === 'log') return { kind: 'log' };
  const claim = text.startsWith('pvc:') ? text.slice(4) : undefined;
  const problem = claim === undefined ? undefined : dnsSubdomainProblem(claim);
  if (claim !== undefined && !problem) return { kind: 'pvc', claim };
  if (problem) {
    throw new UsageError(`--results: expected pvc: and a claim name (${problem}), found "${text}"`);
  }
  throw new UsageError(`--results: expected "log" or "pvc:CLAIM", found "${text}"`);
}

function quantityFlag(flag: string, text: string): string {
  const value = parseQuantity(text);
  if (value === undefined || value <= 0) {
    throw new UsageError(
      `${flag}: expected a Kubernetes quantity above 0 such as 500m, 2 or 1Gi, found "${text}"`,
    );
  }
  return text;
}

/** `auto` counts the pod's CPUs from --cpu: inside a container, Node sees the machine's. */
function workersFlag(text: string, cpu: string): number {
  if (text === 'auto') return Math.max(1, Math.floor(parseQuantity(cpu)!));
  const workers = Number(text);
  if (!/^\d+$/.test(text) || workers < 1) {
    throw new UsageError(
      `--workers: expected "auto" or a whole number of at least 1, found "${text}"`,
    );
  }
  return workers;
}

// A zone is required: the pods' clocks run in UTC, whatever the local time zone here is.
function startAtFlag(text: string): string {
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
  const time = Date.parse(text);
  if (!iso.test(text) || Number.isNaN(time)) {
    throw new UsageError(
      `--start-at: expected an ISO-8601 time with a zone such as 2030-01-31T09:00:00Z, ` +
        `found "${text}"`,
    );
  }
  if (time <= Date.now()) {
    throw new UsageError(
      `--start-at: expected a time in the future (the shards would not line up), found ` +
        `"${text}"; it is now ${new Date().toISOString()}`,
    );
  }
  return text;
}

/** The scenario under its base name and its CSV data at the same relative path. */
function bundledFiles(file: string, scenario: Scenario): Pick<ShardedRunPlan, 'scenario' | 'data'> {
  const scenarioFile: BundledFile = { path: path.basename(file), content: readFileSync(file) };
  let data: BundledFile | undefined;
  if (scenario.data !== undefined) {
    const relative = path.relative(path.dirname(path.resolve(file)), scenario.data.file);
    if (path.isAbsolute(relative) || relative.split(path.sep)[0] === '..') {
      throw new UsageError(
        `${file}: its data file ${scenario.data.file} is outside the scenario's folder; ` +
          'expected it beside the scenario or below it, where the pods find it too',
      );
    }
    data = { path: relative.split(path.sep).join('/'), content: readFileSync(scenario.data.file) };
  }

  const bytes = scenarioFile.content.length + (data?.content.length ?? 0);
  if (bytes > CONFIGMAP_LIMIT_BYTES) {
    throw new UsageError(
      `${file}: the scenario and its data take ${bytes} bytes; a ConfigMap holds at most ` +
        `${CONFIGMAP_LIMIT_BYTES} (1 MiB): expected a smaller data file`,
    );
  }
  if (bytes > APPLY_ANNOTATION_BYTES * 0.8) {
    log(
      `warning: the ConfigMap takes ${bytes} bytes: plain \`kubectl apply\` may refuse it ` +
        '(its copy in an annotation is limited to 256 KiB); use `kubectl apply --server-side` ' +
        'or `kubectl create`',
    );
  }
  return data === undefined ? { scenario: scenarioFile } : { scenario: scenarioFile, data };
}

/** Run flags after `--`: known to `run`, and not one the manifest sets or the pod loses. */
function checkRunFlags(runFlags: string[], runOptions: string[]): string[] {
  if (runFlags.length && !runFlags[0].startsWith('-')) {
    throw new UsageError(
      `unexpected argument "${runFlags[0]}": expected run flags after --, such as ` +
        "-- --threshold 'p99 < 1s'",
    );
  }
  for (const token of runFlags) {
    if (!token.startsWith('-')) continue;
    const flag = token.split('=')[0];
    const reason = FLAGS_SET_BY_MANIFEST[flag];
    if (reason) throw new UsageError(`${flag} cannot be passed to the pods after --: ${reason}`);
    if (!runOptions.includes(flag)) {
      throw new UsageError(
        `${flag}: expected a flag of chatload run after --, found an unknown one`,
      );
    }
  }
  return runFlags;
}

function warnIfLoopback(target: string): void {
  const host = new URL(target).hostname;
  if (host === 'localhost' || host.startsWith('127.') || host === '[::1]' || host === '0.0.0.0') {
    log(`warning: in a pod, ${target} is the pod itself: expected an address the pods can reach`);
  }
}

function warnIfNoAdmin(runFlags: string[]): void {
  const admin = runFlags.some((token) => /^--admin-(user|token)(=|$)/.test(token));
  if (!admin) {
    log(
      'warning: a chat scenario needs an admin account for its setup: add it after --, ' +
        "e.g. -- --admin-user '$(ADMIN_USER)' --admin-password '$(ADMIN_PASSWORD)' with " +
        '--secret NAME holding those keys',
    );
  }
}

function log(message: string): void {
  process.stderr.write(`chatload: ${message}\n`);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerK8sCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('k8s')
    .description('print Kubernetes manifests that run a scenario as N shards (an Indexed Job)')
    .argument('<scenario>', 'scenario file (YAML or JSON); it and its CSV data go in a ConfigMap')
    .argument('[run-flags...]', 'after --: more chatload run flags for every shard')
    .requiredOption('--shards <n>', 'number of pods, each running its share of the load')
    .requiredOption('--image <image>', 'image whose entrypoint is chatload (see the Dockerfile)')
    .option('--namespace <namespace>', "namespace of the objects (default: kubectl's own)")
    .option('--name <name>', 'name of the Job (default: chatload-<scenario name>)')
    .option('--target <url>', 'base URL of the server under test (overrides the scenario)')
    .option('--results <where>', 'log: each pod logs its result; pvc:CLAIM: writes it there', 'log')
    .option(
      '--start-at <time>',
      'ISO-8601 time at which every shard starts, e.g. 2030-01-31T09:00Z',
    )
    .option('--seed <n>', 'seed shared by every shard (default: one picked now)')
    .option('--cpu <quantity>', 'CPU each pod requests', '1')
    .option('--memory <quantity>', 'memory each pod requests, also its limit', '1Gi')
    .option('--workers <n|auto>', 'worker threads per pod; auto: one per CPU of --cpu')
    .option(
      '--secret <name>',
      'a Secret whose keys become env vars of each pod (repeatable)',
      collect,
      [],
    )
    .action((file: string, runFlags: string[], flags: K8sFlags) => {
      const run = program.commands.find((command) => command.name() === 'run');
      const runOptions = (run?.options ?? []).flatMap((option) =>
        [option.long, option.short].filter((name): name is string => name !== undefined),
      );
      setExitCode(k8sCommand(file, runFlags, flags, runOptions));
    });
}
