// A chat user's socket against a WebSocket server the test scripts: it opens only on
// `hello`, says why when it cannot, counts seq gaps, and comes back after a drop.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { DeliveryTracker } from '../src/metrics/delivery.js';
import { ChatSocket, websocketUrl, type SocketHost } from '../src/protocols/mattermost/socket.js';

async function scriptedServer(onConnection: (socket: WebSocket, attempt: number) => void) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  let attempts = 0;
  server.on('connection', (socket) => onConnection(socket, ++attempts));
  const { port } = server.address() as AddressInfo;
  return {
    url: websocketUrl(`http://127.0.0.1:${port}`),
    get attempts() {
      return attempts;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function host(): SocketHost & { listening: boolean; posted: string[] } {
  return {
    listening: false,
    posted: [],
    stopping: false,
    delivery: new DeliveryTracker(5000),
    now: () => performance.now(),
    setListening(_index, listening) {
      this.listening = listening;
    },
    onPosted(pendingId) {
      this.posted.push(pendingId);
    },
  };
}

const hello = (seq: number) => JSON.stringify({ event: 'hello', seq, data: {} });
const posted = (seq: number, pendingId: string) =>
  JSON.stringify({
    event: 'posted',
    seq,
    data: { post: JSON.stringify({ id: 'p', pending_post_id: pendingId }) },
  });

test('a socket the server closes before hello is refused with that reason', async () => {
  const server = await scriptedServer((socket) => socket.close());
  const socketHost = host();
  try {
    const socket = new ChatSocket(server.url, 0, 'token', socketHost);
    await assert.rejects(socket.open(), /closed before hello/);
    assert.equal(socketHost.listening, false);
    await sleep(1300); // longer than the first reconnect delay
    assert.equal(server.attempts, 1, 'a first open that failed is not retried by the socket');
  } finally {
    await server.close();
  }
});

test('posted events reach the host, and a jump in seq is counted as a gap', async () => {
  const server = await scriptedServer((socket) => {
    socket.send(hello(0));
    socket.send(posted(1, 'a'));
    socket.send(posted(4, 'b')); // 2 and 3 never came
  });
  const socketHost = host();
  try {
    const socket = new ChatSocket(server.url, 0, 'token', socketHost);
    await socket.open();
    await sleep(100);
    assert.deepEqual(socketHost.posted, ['a', 'b']);
    assert.equal(socketHost.delivery.counts.seqGaps, 2);
    socket.close();
  } finally {
    await server.close();
  }
});

test('a dropped socket reconnects, and its deaf time is counted once', async () => {
  const server = await scriptedServer((socket, attempt) => {
    socket.send(hello(0));
    if (attempt === 1) setTimeout(() => socket.terminate(), 50);
  });
  const socketHost = host();
  const events: string[] = [];
  try {
    const socket = new ChatSocket(server.url, 0, 'token', socketHost, (event) =>
      events.push(event),
    );
    await socket.open();
    await sleep(1500); // the drop after 50 ms, then the first retry after 1 s
    const counts = socketHost.delivery.counts;
    assert.equal(server.attempts, 2);
    assert.equal(counts.disconnects, 1);
    assert.equal(counts.reconnects, 1);
    assert.ok(counts.deafMs >= 900 && counts.deafMs < 1450, `deaf for ${counts.deafMs} ms`);
    assert.equal(socketHost.listening, true);
    assert.deepEqual(events, ['hello', 'hello']);
    socket.close();
    assert.equal(socketHost.listening, false);
  } finally {
    await server.close();
  }
});
