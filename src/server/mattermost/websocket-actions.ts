// Client → server WebSocket frames: `{seq, action, data}`, answered with
// `{status, seq_reply, data?, error?}`. Replies use no event `seq`.

import { ApiError } from './errors.js';
import { isId } from './ids.js';
import { statusJson } from './models.js';
import type { Connection, Hub } from './websocket.js';

interface Frame {
  seq?: unknown;
  action?: unknown;
  data?: unknown;
}

type Data = Record<string, unknown>;

export function handleAction(hub: Hub, connection: Connection, text: string): void {
  let frame: Frame;
  try {
    frame = JSON.parse(text) as Frame;
  } catch {
    return; // Upstream ignores frames it cannot decode.
  }
  if (frame === null || typeof frame !== 'object') return;
  const seq = typeof frame.seq === 'number' ? frame.seq : 0;
  const data = (frame.data !== null && typeof frame.data === 'object' ? frame.data : {}) as Data;

  if (frame.action === 'authentication_challenge') return challenge(hub, connection, seq, data);
  if (seq <= 0) {
    return reply(
      connection,
      seq,
      fail(400, 'api.web_socket_router.bad_seq.app_error', 'seq must be above 0'),
    );
  }
  if (typeof frame.action !== 'string' || frame.action === '') {
    return reply(
      connection,
      seq,
      fail(400, 'api.web_socket_router.no_action.app_error', 'no action'),
    );
  }
  if (connection.user === undefined) {
    return reply(
      connection,
      seq,
      fail(401, 'api.web_socket_router.not_authenticated.app_error', 'not authenticated'),
    );
  }
  try {
    reply(connection, seq, { status: 'OK', data: act(hub, connection, frame.action, data) });
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    reply(connection, seq, fail(error.status, error.id, error.message));
  }
}

function act(hub: Hub, connection: Connection, action: string, data: Data): unknown {
  const user = connection.user!;
  switch (action) {
    case 'user_typing': {
      const channelId = data.channel_id;
      if (!isId(channelId))
        throw new ApiError(
          400,
          'api.websocket_handler.invalid_param.app_error',
          'invalid channel_id',
        );
      if (hub.store.channelMember(channelId, user.id) === undefined) {
        throw new ApiError(
          403,
          'api.context.permissions.app_error',
          'not a member of this channel',
        );
      }
      const parentId = typeof data.parent_id === 'string' ? data.parent_id : '';
      hub.typing(channelId, user.id, parentId);
      return undefined;
    }
    case 'ping':
      return { text: 'pong', version: hub.version, server_time: Date.now(), node_id: '' };
    case 'get_statuses_by_ids': {
      const ids = Array.isArray(data.user_ids) ? data.user_ids.filter(isId) : [];
      return Object.fromEntries(
        ids.map((id) => [id, statusJson(id, hub.store.statusOf(id)).status]),
      );
    }
    case 'get_statuses':
    case 'user_update_active_status':
    case 'presence':
    case 'posted_notify_ack':
      return action === 'get_statuses' ? {} : undefined;
    default:
      throw new ApiError(
        500,
        'api.web_socket_router.bad_action.app_error',
        `unknown action ${action}`,
      );
  }
}

function challenge(hub: Hub, connection: Connection, seq: number, data: Data): void {
  // Upstream ignores a challenge on a socket that is already signed in.
  if (connection.user !== undefined) return;
  const token = typeof data.token === 'string' ? data.token : '';
  const user = token === '' ? undefined : hub.store.userBySession(token, Date.now());
  if (user === undefined) {
    connection.socket.close(1008, 'authentication failed');
    return;
  }
  hub.authenticate(connection, user);
  reply(connection, seq, { status: 'OK' });
}

interface Outcome {
  status: 'OK' | 'FAIL';
  data?: unknown;
  error?: object;
}

function fail(statusCode: number, id: string, message: string): Outcome {
  return {
    status: 'FAIL',
    error: { id, message, detailed_error: '', request_id: '', status_code: statusCode },
  };
}

function reply(connection: Connection, seq: number, outcome: Outcome): void {
  const socket = connection.socket;
  if (socket.readyState !== socket.OPEN) return;
  const body: Record<string, unknown> = { status: outcome.status, seq_reply: seq };
  if (outcome.data !== undefined) body.data = outcome.data;
  if (outcome.error !== undefined) body.error = outcome.error;
  socket.send(JSON.stringify(body));
}
