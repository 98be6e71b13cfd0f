// `npm run bench:server`: how much the bundled chat server takes. autocannon drives
// create-post and channel-posts at 50 connections, beside system ping on the same server as
// the peer (the cost of HTTP alone); then 2,000 WebSocket users in one channel receive the
// fan-out of posts, and the delay from post sent to event received is measured.
//
// The server runs in a child process, seeded, as `chatload run` starts it. Options:
// --duration <s> (per autocannon run, default 5), --users <n> (WebSocket users, 2000),
// --posts <n> (posts fanned out, default 40).

import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { WebSocket } from 'ws';
import { launchBundledServer, type LaunchedServer } from '../src/server/launch.js';
import { numberOption, printMachine, sleep } from './common.js';

const CONNECTIONS = 50;
const OPEN_BATCH = 200;

interface Throughput {
  name: string;
  rps: number;
  errors: number;
}

async function hammer(
  server: LaunchedServer,
  name: string,
  path: string,
  token: string,
  body?: object,
) {
  const options = {
    url: server.url + path,
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    connections: CONNECTIONS,
    duration: durationSeconds,
  };
  const result = await autocannon(options);
  const errors = result.errors + result.timeouts + result.non2xx;
  return { name, rps: result.requests.average, errors } satisfies Throughput;
}

async function openSockets(
  server: LaunchedServer,
  tokens: string[],
  onPost: (at: number, text: string) => void,
) {
  const url = server.url.replace(/^http/, 'ws') + '/api/v4/websocket';
  const sockets: WebSocket[] = [];
  for (let start = 0; start < tokens.length; start += OPEN_BATCH) {
    const batch = tokens.slice(start, start + OPEN_BATCH).map(
      (token) =>
        new Promise<WebSocket>((resolve, reject) => {
          const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
          socket.on('message', (data) => {
            const text = data.toString();
            // Only `posted` matters; skip the parse of hello and status events.
            if (text.startsWith('{"event":"posted"')) onPost(performance.now(), text);
          });
          socket.once('open', () => resolve(socket)).once('error', reject);
        }),
    );
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

async function fanOut(server: LaunchedServer, users: number, posts: number) {
  const tokens = server.seed.tokens!.slice(0, users);
  const sentAt = new Map<string, number>();
  const delays: number[] = [];
  const sockets = await openSockets(server, tokens, (at, text) => {
    const post = JSON.parse(JSON.parse(text).data.post) as { message: string };
    const sent = sentAt.get(post.message);
    if (sent !== undefined) delays.push(at - sent);
  });
  console.log(`${sockets.length} WebSocket users connected; sending ${posts} posts, 10 a second`);

  const channel = server.seed.channels['town-square'];
  const headers = { authorization: `Bearer ${tokens[0]}`, 'content-type': 'application/json' };
  const started = performance.now();
  for (let index = 0; index < posts; index++) {
    const message = `bench ${index}`;
    sentAt.set(message, performance.now());
    const body = JSON.stringify({ channel_id: channel, message });
    const response = await fetch(`${server.url}/api/v4/posts`, { method: 'POST', headers, body });
    if (response.status !== 201) throw new Error(`create post answered ${response.status}`);
    await sleep(Math.max(0, started + (index + 1) * 100 - performance.now()));
  }
  const expected = posts * sockets.length;
  const deadline = performance.now() + 10_000;
  while (delays.length < expected && performance.now() < deadline) await sleep(50);
  for (const socket of sockets) socket.terminate();
  return { delivered: delays.length, expected, delays: delays.sort((a, b) => a - b) };
}

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

const { values } = parseArgs({
  options: { duration: { type: 'string' }, users: { type: 'string' }, posts: { type: 'string' } },
});
const durationSeconds = numberOption(values.duration, 'BENCH_DURATION', 5);
const socketUsers = numberOption(values.users, 'BENCH_WS_USERS', 2000);
const posts = numberOption(values.posts, 'BENCH_POSTS', 40);

printMachine('chatload bench:server: the bundled Mattermost-compatible server');
const server = await launchBundledServer({ users: socketUsers, sessions: true });
try {
  const token = server.seed.tokens![0];
  const channel = server.seed.channels['town-square'];
  const ping = await hammer(server, 'system ping (peer)', '/api/v4/system/ping', token);
  const create = await hammer(server, 'create-post', '/api/v4/posts', token, {
    channel_id: channel,
    message: 'load',
  });
  const read = await hammer(
    server,
    'channel-posts',
    `/api/v4/channels/${channel}/posts?per_page=60`,
    token,
  );

  console.log(`autocannon, ${CONNECTIONS} connections, ${durationSeconds} s each:`);
  for (const run of [ping, create, read]) {
    const ratio = (run.rps / ping.rps).toFixed(2);
    console.log(
      `  ${run.name.padEnd(20)} ${run.rps.toFixed(0).padStart(7)} req/s  ` +
        `${ratio}× ping  errors ${run.errors}`,
    );
  }
  console.log('');

  const fan = await fanOut(server, socketUsers, posts);
  const [p50, p99, max] = [0.5, 0.99, 1].map((q) => quantile(fan.delays, q).toFixed(1));
  console.log(`fan-out: ${fan.delivered} of ${fan.expected} events delivered`);
  console.log(
    `  delivery latency (post sent → event received): ` +
      `p50 ${p50} ms, p99 ${p99} ms, max ${max} ms`,
  );
  console.log(`  events per second while posting: ${((fan.expected / posts) * 10).toFixed(0)}`);
} finally {
  await server.stop();
}
