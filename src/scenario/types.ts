// The validated, compiled form of a scenario: what the engine runs.
//
// A scenario file (YAML or JSON) is parsed and checked by `load.ts`; every string that
// may hold `{{ }}` is compiled into a Template once, so the per-request path only calls
// functions. All durations here are milliseconds, all rates per second.

/** The state a template reads: one user's view of the world. */
export interface TemplateContext {
  /** Scenario variables, overwritten by the user's captures. */
  vars: Record<string, unknown>;
  /** The user's CSV row, or an empty object when the scenario has no data. */
  data: Record<string, string>;
  /** 0-based index of the user in the run (unique per run, stable across iterations). */
  userIndex: number;
  /** Index of the iteration this user is running, 0-based. */
  iteration: number;
  /** Seeded random source in [0, 1); the only randomness templates may use. */
  random: () => number;
}

/** A compiled `{{ }}` template. `isStatic` lets callers skip rendering. */
export interface Template {
  source: string;
  isStatic: boolean;
  render(ctx: TemplateContext): string;
}

/** A JSON body whose string leaves may be templates. */
export type JsonTemplate =
  { kind: 'static'; value: unknown } | { kind: 'dynamic'; render(ctx: TemplateContext): unknown };

/** Where a captured value comes from. */
export type CaptureSource =
  | { from: 'json'; path: (string | number)[]; source: string }
  | { from: 'header'; name: string; source: string };

/** A check on a JSON body value: `$.a.b` must equal the value, or just exist. */
export interface JsonExpectation {
  path: (string | number)[];
  source: string;
  equals?: unknown;
  exists?: boolean;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

export interface HttpStep {
  kind: 'http';
  /** Metrics are reported under this name; defaults to `METHOD /path/template`. */
  name: string;
  method: HttpMethod;
  path: Template;
  headers: { name: string; value: Template }[];
  /** JSON body (sets content-type), or a raw string body, or none. */
  json?: JsonTemplate;
  body?: Template;
  /** Allowed statuses; empty means "any status below 400". */
  expectStatus: number[];
  expectJson: JsonExpectation[];
  capture: { variable: string; source: CaptureSource }[];
  /** Per-step hard timeout, overriding the scenario's `timeouts.request`. */
  timeoutMs?: number;
  /** Where the step is in the file, for messages at run time. */
  location: string;
}

export interface ThinkStep {
  kind: 'think';
  minMs: number;
  maxMs: number;
}

export interface LoopStep {
  kind: 'loop';
  /** Exactly one of count and durationMs is set. */
  count?: number;
  durationMs?: number;
  steps: Step[];
}

export interface GroupStep {
  kind: 'group';
  name: string;
  steps: Step[];
}

/** What a chat user does between idle times (see `ChatConfig.actions`). */
export type ChatAction =
  | 'switch-channel'
  | 'scroll'
  | 'unread-check'
  | 'post'
  | 'reply'
  | 'react'
  | 'view-thread'
  | 'search'
  | 'idle';

/**
 * A chat step (`protocol: mattermost`). `live` is the whole realistic user: log in,
 * connect, load, then weighted actions with idle times until the user is stopped. The
 * others are single actions for scripted flows.
 */
export interface ChatStep {
  kind: 'chat';
  action: 'live' | 'login' | 'connect' | 'post' | 'view-channel' | 'react' | 'typing' | 'wait-for';
  /** Metrics name for steps that send requests; defaults to the built-in call's name. */
  name?: string;
  /** A channel name from the setup (such as `large-0`); default: the user's current one. */
  channel?: Template;
  message?: Template;
  emoji?: string;
  /** `wait-for`: the event type, such as `posted`, and how long to wait for it. */
  event?: string;
  timeoutMs?: number;
}

export type Step = HttpStep | ThinkStep | LoopStep | GroupStep | ChatStep;

export interface Flow {
  name: string;
  weight: number;
  steps: Step[];
}

export interface ClosedStage {
  durationMs: number;
  /** Target number of users at the end of the stage; the count ramps linearly to it. */
  users: number;
}

export interface OpenStage {
  durationMs: number;
  /** Target rate of new iterations per second at the end of the stage (linear ramp). */
  ratePerSec: number;
}

export type LoadModel =
  | {
      model: 'closed';
      /** Users at time 0 (before the first stage ramps). */
      startUsers: number;
      stages: ClosedStage[];
      /** Per-user iteration cap; undefined means "until the stages end". */
      iterations?: number;
    }
  | {
      model: 'open';
      startRatePerSec: number;
      stages: OpenStage[];
      /** Iterations that are due while this many are running are dropped. */
      maxUsers: number;
      /** Total iteration cap; undefined means "until the stages end". */
      iterations?: number;
    };

export type ComparisonOp = '<' | '<=' | '>' | '>=' | '==' | '!=';

/**
 * A gate, such as `p99(login) < 300ms` or `errors < 1%`.
 * Latency values are in ms; `unit: 'percent'` compares a rate in percent (0-100).
 */
export interface Threshold {
  source: string;
  metric:
    | { kind: 'percentile'; percentile: number }
    | { kind: 'min' | 'max' | 'mean' }
    | { kind: 'count' | 'errors' | 'stalled' | 'dropped' | 'rps' }
    | { kind: 'lost' | 'duplicates' | 'seqGaps' | 'reconnects' };
  /** 'delivery': a latency metric of chat message delivery (`delivery.p99`), not of steps. */
  of?: 'delivery';
  /** A step name, or undefined for all steps together. */
  step?: string;
  op: ComparisonOp;
  value: number;
  unit: 'ms' | 'percent' | 'count' | 'perSec';
}

export interface DataSource {
  file: string;
  pick: 'sequential' | 'random';
  rows: Record<string, string>[];
}

export interface ChatSetup {
  /** Names are `<prefix>-user-<n>`, `<prefix>-team-<n>`, `<prefix>-<size>-<n>`. */
  prefix: string;
  /** Users to create; default: the most users the load ever runs at once. */
  users?: number;
  teams: number;
  /** Channels per size; undefined sizes are derived from the user count. */
  channels: { small?: number; medium?: number; large?: number };
  seedPosts: number;
  password: string;
  loginRatePerSec: number;
}

export interface ChatConfig {
  setup: ChatSetup;
  /** Idle time between actions, before the user's speed factor. */
  idle: { minMs: number; maxMs: number };
  /** Speed factors (idle multipliers) and the share of users drawing each. */
  speed: { factor: number; share: number }[];
  actions: Record<ChatAction, number>;
  /** A post not delivered to a member within this time is lost. */
  deliveryWindowMs: number;
}

export interface Scenario {
  name: string;
  /** Absolute path of the scenario file, or '<inline>'. */
  file: string;
  /** Base URL such as `http://127.0.0.1:8080`; undefined means "start the bundled server". */
  target?: string;
  load: LoadModel;
  timeouts: {
    /** Hard per-request timeout; 0 disables it. */
    requestMs: number;
    /** A request in flight longer than this is stalled. */
    stallMs: number;
    /** After the run ends, how long requests still in flight may take to finish. */
    graceMs: number;
  };
  http: {
    /**
     * 'per-user': each user holds its own keep-alive connection, as a browser tab does;
     * a number: all users share a pool of that many connections (requests queue for one).
     * Undefined: per-user in the closed model, a pool of `maxUsers` in the open model,
     * where every iteration is a new, short-lived user.
     */
    connections?: number | 'per-user';
  };
  variables: Record<string, unknown>;
  data?: DataSource;
  /** Set by `protocol: mattermost`: the population is chat users. */
  chat?: ChatConfig;
  /** Fault specs for the bundled server, used only when chatload starts it (no target). */
  serveFaults?: string[];
  flows: Flow[];
  thresholds: Threshold[];
  /** The parsed document as written, kept in the result for reference. */
  raw: unknown;
}
