// The benchmark's target: a plain node:http server, run in a child process so that its CPU
// time never lands in the generator's process.cpuUsage(). It answers every request with a
// small JSON body, keeps connections alive for long, and counts the connections it sees so
// that the memory benchmark can check that every user really held one.
//
// IPC protocol (parent → child): { type: 'stats' } and { type: 'reset' }.
// (child → parent): { type: 'ready', port } once listening, { type: 'stats', ... } replies.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface TargetStats {
  type: 'stats';
  /** Connections accepted since the last reset. */
  connections: number;
  /** Connections open right now. */
  open: number;
  /** The most connections open at once since the last reset. */
  peakOpen: number;
  requests: number;
  /** Requests per connection accepted since the reset: shows whether users share them. */
  perConnection: { min: number; median: number; max: number };
}

// Idle connections of thinking users must outlive any think time of the benchmarks.
const KEEP_ALIVE_MS = 120_000;
// Above the 5,000 users that connect at once; the kernel clamps it to somaxconn.
const LISTEN_BACKLOG = 16_384;
// Whatever happens to the parent, this process does not outlive a benchmark run.
const MAX_LIFETIME_MS = 15 * 60_000;

const BODY = Buffer.from(JSON.stringify({ ok: true, message: 'hello from the bench target' }));
const HEADERS = { 'content-type': 'application/json', 'content-length': BODY.length };

let connections = 0;
let open = 0;
let peakOpen = 0;
let requests = 0;
// Requests served on each connection accepted since the last reset (kept after it closes).
let served = new Map<Socket, number>();

function answer(request: IncomingMessage, response: ServerResponse): void {
  requests++;
  const count = served.get(request.socket);
  if (count !== undefined) served.set(request.socket, count + 1);
  response.writeHead(200, HEADERS);
  response.end(BODY);
}

function countConnection(socket: Socket): void {
  connections++;
  open++;
  if (open > peakOpen) peakOpen = open;
  served.set(socket, 0);
  socket.once('close', () => open--);
}

function stats(): TargetStats {
  const counts = [...served.values()].sort((a, b) => a - b);
  const perConnection = {
    min: counts[0] ?? 0,
    median: counts[Math.floor(counts.length / 2)] ?? 0,
    max: counts[counts.length - 1] ?? 0,
  };
  return { type: 'stats', connections, open, peakOpen, requests, perConnection };
}

function onMessage(message: { type?: string }): void {
  if (message.type === 'reset') {
    connections = 0;
    peakOpen = open;
    requests = 0;
    served = new Map();
  }
  if (message.type === 'stats' || message.type === 'reset') process.send?.(stats());
}

const server = createServer(answer);
server.keepAliveTimeout = KEEP_ALIVE_MS;
// Must stay above keepAliveTimeout, or idle sockets get cut by the headers timer first.
server.headersTimeout = KEEP_ALIVE_MS + 5_000;
server.maxConnections = Infinity;
server.on('connection', countConnection);

server.listen({ host: '127.0.0.1', port: 0, backlog: LISTEN_BACKLOG }, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.send?.({ type: 'ready', port });
});

process.on('message', onMessage);
// The parent went away (crash, Ctrl-C): nobody will stop us, so stop now.
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
setTimeout(() => process.exit(0), MAX_LIFETIME_MS).unref();
