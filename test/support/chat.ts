// Runs a chat scenario in this process against the bundled server (in its own process),
// with setup first, as `chatload run` does.

import { request } from 'undici';
import { Run } from '../../src/engine/run.js';
import { peakUsers } from '../../src/engine/schedule.js';
import { runSetup, type SetupResult } from '../../src/protocols/mattermost/setup.js';
import { judge } from '../../src/report/gates.js';
import { buildResult, viewOfRun, type ResultDocument } from '../../src/report/result.js';
import { parseScenario } from '../../src/scenario/load.js';
import type { LaunchedServer } from '../../src/server/launch.js';

export async function runChat(
  server: LaunchedServer,
  yamlText: string,
  during?: (run: Run) => void,
): Promise<{ run: Run; result: ResultDocument; setup: SetupResult }> {
  const scenario = parseScenario(yamlText, 'inline.yaml', 'yaml');
  const admin = { user: server.seed.adminUsername, password: server.seed.adminPassword };
  const users = scenario.chat!.setup.users ?? peakUsers(scenario.load);
  const setup = await runSetup(server.url, scenario.chat!.setup, users, admin);
  const run = new Run(scenario, { target: server.url, seed: 3, chatSetup: setup });
  const running = run.execute();
  during?.(run);
  await running;
  const verdicts = judge(scenario.thresholds, viewOfRun(run));
  const result = buildResult(run, verdicts, { cpuSeconds: 0 }, setup.report);
  return { run, result, setup };
}

/**
 * Each user logs in, connects, waits until everyone is connected, posts once to the one
 * large channel, then stays connected while the others' posts arrive. `prefix` keeps apart
 * the accounts of scenarios that share a server.
 */
export function fanOutScenario(users: number, prefix = 't') {
  return `
name: fan-out
protocol: mattermost
load: { model: closed, users: ${users}, iterations: 1 }
timeouts: { grace: 5s }
mattermost:
  setup: { prefix: ${prefix}${users}, loginRate: 200/s }
  deliveryWindow: 5s
flows:
  - name: poster
    steps:
      - login: {}
      - connect: {}
      - think: 1500ms
      - post: { channel: large-0 }
      - think: 1500ms
`;
}

/** Calls the bundled server's API as its admin. */
export async function adminCall(
  server: LaunchedServer,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const login = await request(new URL('/api/v4/users/login', server.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      login_id: server.seed.adminUsername,
      password: server.seed.adminPassword,
    }),
  });
  await login.body.dump();
  const response = await request(new URL(`/api/v4${path}`, server.url), {
    method,
    headers: {
      authorization: `Bearer ${login.headers.token}`,
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  return { status: response.statusCode, json: text ? JSON.parse(text) : undefined };
}
