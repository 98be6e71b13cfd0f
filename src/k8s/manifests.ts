// Kubernetes manifests for a sharded run: a ConfigMap with the scenario (and its CSV data),
// and an Indexed Job whose N pods each run one shard of the load with `--shard auto`.
//
// Pure functions only: the command (cli/k8s-command.ts) reads the files and checks the
// flags; here they become plain objects and YAML. The types come from kubernetes-models, a
// dev dependency, through `import type`, which the compiler erases: the built command does
// not load it, yet a misspelt field in an object literal below fails the build.

import type { IJob } from 'kubernetes-models/batch/v1/Job';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IVolume } from 'kubernetes-models/v1/Volume';
import type { IVolumeMount } from 'kubernetes-models/v1/VolumeMount';
import { stringify } from 'yaml';

/** Where the pods see the ConfigMap's files, the results claim, and their working folder. */
export const SCENARIO_DIR = '/scenario';
export const RESULTS_DIR = '/results';
export const WORK_DIR = '/work';

/** The Kubernetes API refuses a ConfigMap whose values add up to more than 1 MiB. */
export const CONFIGMAP_LIMIT_BYTES = 1024 * 1024;

/** Indexed Jobs allow at most this parallelism (and more completions need extra fields). */
export const MAX_SHARDS = 100_000;

/** The group of the image's user (Dockerfile: node, 1000), given the results volume. */
const RESULTS_GROUP = 1000;

/** A finished Job, its pods and their logs are kept this long for the results to be read. */
const KEEP_FINISHED_SECONDS = 24 * 60 * 60;

const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

/** A file the pods need, at its path below /scenario (relative, `/`-separated). */
export interface BundledFile {
  path: string;
  content: Uint8Array;
}

export type ResultsSink = { kind: 'log' } | { kind: 'pvc'; claim: string };

/** Everything the manifests are made of, already checked by the command. */
export interface ShardedRunPlan {
  name: string;
  namespace?: string;
  image: string;
  shards: number;
  scenario: BundledFile;
  data?: BundledFile;
  /** Passed as --target; undefined when the scenario's own target is used. */
  target?: string;
  startAt?: string;
  /** The same on every shard: `run --shard` needs it, so that the shards' parts add up. */
  seed: number;
  results: ResultsSink;
  cpu: string;
  memory: string;
  workers?: number;
  /** Secrets whose keys become environment variables in every pod. */
  secrets: string[];
  /** More `chatload run` flags, after `--` on the command line; `$(VAR)` stays expandable. */
  runFlags: string[];
}

export interface ShardedRunManifests {
  configMap: IConfigMap;
  job: IJob;
}

export function shardedRunManifests(plan: ShardedRunPlan): ShardedRunManifests {
  const files = bundledFiles(plan);
  const namespace = plan.namespace === undefined ? {} : { namespace: plan.namespace };

  const configMap: IConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: configMapName(plan.name), ...namespace, labels: labels(plan, 'scenario') },
    ...configMapData(files),
  };

  const job: IJob = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: plan.name, ...namespace, labels: labels(plan, 'load-generator') },
    spec: {
      completionMode: 'Indexed',
      completions: plan.shards,
      parallelism: plan.shards,
      // Not backoffLimit: it counts failures across all shards and, once exceeded, stops the
      // shards still running. A shard retried would also run its whole load again, late,
      // after --start-at. So each shard runs once, and one that fails (a failed threshold
      // exits 1) leaves the others to finish; the Job then ends Failed, not Complete.
      // Shortcoming: the field needs Kubernetes 1.29 or later (older ones drop or refuse it).
      backoffLimitPerIndex: 0,
      ttlSecondsAfterFinished: KEEP_FINISHED_SECONDS,
      template: {
        metadata: { labels: labels(plan, 'load-generator') },
        spec: podSpec(plan, files),
      },
    },
  };
  return { configMap, job };
}

/** Multi-document YAML, the way kubectl reads it. */
export function manifestsYaml(objects: object[]): string {
  // lineWidth 0: no folded lines, so that args and file contents read as they are.
  return objects.map((object) => stringify(object, { lineWidth: 0 })).join('---\n');
}

/** The arguments after the image's entrypoint (`chatload`). */
export function runArgs(plan: ShardedRunPlan): string[] {
  const args = ['run', literal(`${SCENARIO_DIR}/${plan.scenario.path}`), '--shard', 'auto'];
  args.push('--quiet', '--seed', String(plan.seed));
  if (plan.target !== undefined) args.push('--target', literal(plan.target));
  if (plan.startAt !== undefined) args.push('--start-at', literal(plan.startAt));
  if (plan.workers !== undefined) args.push('--workers', String(plan.workers));
  if (plan.results.kind === 'log') {
    args.push('--json');
  } else {
    args.push('--out', `${RESULTS_DIR}/${resultFileName(plan.name)}`);
  }
  return [...args, ...plan.runFlags];
}

/** The result file of each shard on the claim; Kubernetes fills in the 0-based index. */
export function resultFileName(name: string): string {
  return `${name}-shard-$(JOB_COMPLETION_INDEX).json`;
}

export function configMapName(name: string): string {
  return `${name}-scenario`;
}

/** A ConfigMap key for a file: keys allow only letters, digits, '-', '_' and '.'. */
export function configMapKey(path: string): string {
  const key = path.replace(/[^-._a-zA-Z0-9]/g, '_');
  return key === '.' || key === '..' ? `_${key}` : key;
}

/** Why the text is not a DNS-1123 label (names, namespaces), or undefined when it is. */
export function dnsLabelProblem(text: string): string | undefined {
  if (text.length > 63) return `at most 63 characters, found ${text.length}`;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(text)) {
    return "lowercase letters, digits and '-', starting and ending with a letter or digit";
  }
  return undefined;
}

/** The same for a DNS-1123 subdomain (claims, secrets): labels joined by dots. */
export function dnsSubdomainProblem(text: string): string | undefined {
  if (text.length > 253) return `at most 253 characters, found ${text.length}`;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(text)) {
    return "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit";
  }
  return undefined;
}

const QUANTITY_SUFFIXES: Record<string, number> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The value of a Kubernetes quantity such as 500m, 2 or 1Gi; undefined when not one. */
export function parseQuantity(text: string): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:([eE][-+]?[0-9]+)|([a-zA-Z]*))$/.exec(text);
  if (!match) return undefined;
  const [, number, exponent, suffix] = match;
  if (exponent !== undefined) return Number(number + exponent);
  const factor = QUANTITY_SUFFIXES[suffix ?? ''];
  return factor === undefined ? undefined : Number(number) * factor;
}

interface KeyedFile extends BundledFile {
  key: string;
}

function bundledFiles(plan: ShardedRunPlan): KeyedFile[] {
  const scenario = { ...plan.scenario, key: configMapKey(plan.scenario.path) };
  if (plan.data === undefined) return [scenario];
  let dataKey = configMapKey(plan.data.path);
  // Two paths can only meet here after their odd characters became '_'.
  if (dataKey === scenario.key) dataKey = `data-${dataKey}`;
  return [scenario, { ...plan.data, key: dataKey }];
}

// ConfigMap `data` holds UTF-8 text; anything else goes, byte for byte, in `binaryData`.
function configMapData(files: KeyedFile[]): Pick<IConfigMap, 'data' | 'binaryData'> {
  const data: Record<string, string> = {};
  const binaryData: Record<string, string> = {};
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  for (const file of files) {
    try {
      data[file.key] = decoder.decode(file.content);
    } catch {
      binaryData[file.key] = Buffer.from(file.content).toString('base64');
    }
  }
  return Object.keys(binaryData).length ? { data, binaryData } : { data };
}

function labels(plan: ShardedRunPlan, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'chatload',
    'app.kubernetes.io/instance': plan.name,
    'app.kubernetes.io/component': component,
  };
}

function podSpec(plan: ShardedRunPlan, files: KeyedFile[]): IPodSpec {
  const volumes: IVolume[] = [
    {
      name: 'scenario',
      configMap: {
        name: configMapName(plan.name),
        items: files.map((file) => ({ key: file.key, path: file.path })),
      },
    },
    // Where `run` writes its result and timeline files when not told otherwise.
    { name: 'work', emptyDir: {} },
  ];
  if (plan.results.kind === 'pvc') {
    volumes.push({ name: 'results', persistentVolumeClaim: { claimName: plan.results.claim } });
  }

  return {
    restartPolicy: 'Never',
    automountServiceAccountToken: false,
    // Meets the "restricted" Pod Security Standard, which many namespaces enforce.
    securityContext: {
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
      // A fresh volume is often writable by root only; this makes the claim the pod's.
      ...(plan.results.kind === 'pvc' ? { fsGroup: RESULTS_GROUP } : {}),
    },
    // Shards on separate machines do not compete for one machine's CPU and network.
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: {
          matchLabels: {
            'app.kubernetes.io/name': 'chatload',
            'app.kubernetes.io/instance': plan.name,
          },
        },
      },
    ],
    containers: [container(plan)],
    volumes,
  };
}

function container(plan: ShardedRunPlan): IContainer {
  const mounts: IVolumeMount[] = [
    { name: 'scenario', mountPath: SCENARIO_DIR, readOnly: true },
    { name: 'work', mountPath: WORK_DIR },
  ];
  if (plan.results.kind === 'pvc') mounts.push({ name: 'results', mountPath: RESULTS_DIR });

  return {
    name: 'chatload',
    image: plan.image,
    args: runArgs(plan),
    env: [
      // Kubernetes does not tell a pod how many completions its Job has.
      { name: 'CHATLOAD_SHARDS', value: String(plan.shards) },
      // The Job controller adds this same variable when it is missing; spelling it out
      // keeps the `$(JOB_COMPLETION_INDEX)` in the args readable from this file alone.
      {
        name: 'JOB_COMPLETION_INDEX',
        valueFrom: {
          fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` },
        },
      },
    ],
    ...(plan.secrets.length
      ? { envFrom: plan.secrets.map((name) => ({ secretRef: { name } })) }
      : {}),
    resources: {
      requests: { cpu: plan.cpu, memory: plan.memory },
      // No CPU limit: the kernel would pause a generator over its quota for the rest of
      // each 100 ms period, and those pauses would be measured as the server's latency.
      limits: { memory: plan.memory },
    },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
    volumeMounts: mounts,
  };
}

// Kubernetes expands `$(NAME)` in args and turns `$$` into `$`; doubling every `$` keeps
// a value of ours (a path, a URL) exactly as it is.
function literal(text: string): string {
  return text.replace(/\$/g, () => '$$');
}
