// A small router of our own: routes are written as Mattermost documents them
// (`/api/v4/channels/{channel_id}/posts`), and the same text names a route in fault specs.

import type { IncomingMessage } from 'node:http';
import { badUrlParam } from './errors.js';
import type { UserRow } from './models.js';

export type Access = 'public' | 'user' | 'admin';

export interface RequestContext {
  readonly request: IncomingMessage;
  readonly requestId: string;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  /** The signed-in user; set for every route whose access is not public. */
  user: UserRow;
  token: string;
  /** The parsed JSON body (read once, size-limited). */
  body(): Promise<unknown>;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export type Handler = (context: RequestContext) => Reply | Promise<Reply>;

export interface Route {
  method: string;
  template: string;
  /** `METHOD template`, the name used in fault specs and request logs. */
  key: string;
  access: Access;
  handler: Handler;
  segments: string[];
}

export class Router {
  readonly routes: Route[] = [];

  add(method: string, template: string, access: Access, handler: Handler): void {
    const segments = template.split('/').slice(1);
    this.routes.push({ method, template, key: `${method} ${template}`, access, handler, segments });
  }

  /** The route for a request, and the values of its `{name}` segments. */
  match(method: string, path: string): { route: Route; params: Record<string, string> } | null {
    const parts = path.split('/').slice(1);
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
    for (const route of this.routes) {
      if (route.method !== method || route.segments.length !== parts.length) continue;
      const params = matchSegments(route.segments, parts);
      if (params !== null) return { route, params };
    }
    return null;
  }

  find(key: string): Route | undefined {
    return this.routes.find((route) => route.key === key);
  }
}

function matchSegments(segments: string[], parts: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index];
    if (segment.startsWith('{')) {
      if (parts[index] === '') return null;
      params[segment.slice(1, -1)] = decode(segment.slice(1, -1), parts[index]);
    } else if (segment !== parts[index]) {
      return null;
    }
  }
  return params;
}

function decode(name: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw badUrlParam(name, text, 'a valid URL-encoded value');
  }
}
