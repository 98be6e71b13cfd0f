// Helpers for tests of the bundled chat server: start it in this process (fast, for API
// tests) and call its REST API the way a client does.

import { ChatServer } from '../../src/server/mattermost/server.js';
import { seed, type SeedInfo } from '../../src/server/mattermost/seed.js';

export interface TestServer {
  server: ChatServer;
  url: string;
  seed: SeedInfo;
  close(): Promise<void>;
}

export async function startChatServer(users = 3, faults: string[] = []): Promise<TestServer> {
  const server = new ChatServer({ faults, log: () => {} });
  const info = await seed(server.app.store, { users });
  const port = await server.listen(0, '127.0.0.1');
  return { server, url: `http://127.0.0.1:${port}`, seed: info, close: () => server.close() };
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON; untyped because each test asserts on the fields it reads. */
  json: any;
}

export async function call(
  url: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; rawBody?: string } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const hasBody = method !== 'GET' && method !== 'HEAD';
  const body = !hasBody
    ? undefined
    : (options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body)));
  const response = await fetch(url + path, { method, headers, body });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text ? JSON.parse(text) : undefined,
  };
}

export async function login(url: string, username: string, password: string): Promise<string> {
  const response = await call(url, 'POST', '/api/v4/users/login', {
    body: { login_id: username, password },
  });
  if (response.status !== 200) throw new Error(`login as ${username}: ${response.status}`);
  return response.headers.get('token')!;
}

/** Logs in as a seeded user by index. */
export const loginUser = (server: TestServer, index: number) =>
  login(server.url, server.seed.userPrefix + index, server.seed.userPassword);

export const loginAdmin = (server: TestServer) =>
  login(server.url, server.seed.adminUsername, server.seed.adminPassword);
