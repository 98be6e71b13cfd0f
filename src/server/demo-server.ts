// A small items API that `chatload run` starts when a scenario names no target, so that
// the examples work out of the box. It is real HTTP with real state, in its own process.
//
// Limitation: this is a stand-in; the bundled Mattermost-compatible server is meant to
// replace it as the default target.

import http from 'node:http';

interface Item {
  id: number;
  title: string;
  createdAt: string;
}

export function createDemoServer(): http.Server {
  const items = new Map<number, Item>();
  let nextId = 1;

  return http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      response.writeHead(status, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      response.end(text);
    };

    if (request.method === 'GET' && url.pathname === '/health') return send(200, { ok: true });

    if (request.method === 'POST' && url.pathname === '/items') {
      return readJson(request, (error, body) => {
        if (error) return send(400, { error: 'expected a JSON body' });
        const title = typeof body?.title === 'string' ? body.title : '';
        const item = { id: nextId++, title, createdAt: new Date().toISOString() };
        items.set(item.id, item);
        send(201, item);
      });
    }

    const match = /^\/items\/(\d+)$/.exec(url.pathname);
    if (request.method === 'GET' && match) {
      // Item ids below the next one always exist, so any user index reads something.
      const id = Number(match[1]);
      const item = items.get(id) ?? { id, title: `item ${id}`, createdAt: '1970-01-01' };
      return send(200, item);
    }

    send(404, { error: `no route for ${request.method} ${url.pathname}` });
  });
}

const MAX_BODY_BYTES = 64 * 1024;

function readJson(
  request: http.IncomingMessage,
  done: (error: Error | undefined, body?: Record<string, unknown>) => void,
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  request.on('end', () => {
    if (size > MAX_BODY_BYTES) return done(new Error('body too large'));
    try {
      done(undefined, JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
    } catch (error) {
      done(error as Error);
    }
  });
}

// Run as a child process: listen on a free loopback port and report it to the parent.
if (process.send !== undefined && process.env.CHATLOAD_CHILD === 'demo-server') {
  const server = createDemoServer();
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address !== null && typeof address === 'object') process.send?.({ port: address.port });
  });
  process.on('disconnect', () => process.exit(0));
}
