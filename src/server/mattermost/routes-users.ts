// Users, sign-in and statuses: POST /users, login, logout, GET /users/{id}, statuses by ids
// and REST typing.

import { channelOrFail, conflict, forbiddenBy, ok, requireChannelMember, statusOk } from './app.js';
import type { App } from './app.js';
import { hashPassword, isAdmin, tokenOf, verifyPassword } from './auth.js';
import { ApiError, badParam, notFound } from './errors.js';
import { newId } from './ids.js';
import { statusJson, userJson, type UserRow } from './models.js';
import type { RequestContext, Router } from './router.js';
import { asObject, idList, optionalId, optionalText, text } from './validate.js';

const USERNAME = /^[a-z][a-z0-9._-]*$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export function addUserRoutes(router: Router, app: App): void {
  router.add('POST', '/api/v4/users', 'public', (context) => createUser(app, context));
  router.add('POST', '/api/v4/users/login', 'public', (context) => login(app, context));
  router.add('POST', '/api/v4/users/logout', 'public', (context) => {
    const token = tokenOf(context.request);
    if (token !== undefined) app.store.deleteSession(token);
    return statusOk();
  });
  // Users by usernames: a list of names in, the users that exist out (unknown names are
  // left out, as the real server does). Setup uses it to reuse users it created before.
  router.add('POST', '/api/v4/users/usernames', 'user', async (context) => {
    const names = await context.body();
    if (!Array.isArray(names) || names.length === 0 || names.length > 1000) {
      throw badParam('usernames', names, 'a list of 1 to 1000 usernames');
    }
    const users = names
      .filter((name): name is string => typeof name === 'string')
      .map((name) => app.store.userByLogin(name))
      .filter((user): user is UserRow => user !== undefined);
    return ok(users.map((user) => userJson(user)));
  });
  router.add('POST', '/api/v4/users/status/ids', 'user', async (context) => {
    const ids = idList(await context.body(), 'body', 1000);
    return ok(ids.map((userId) => statusJson(userId, app.store.statusOf(userId))));
  });
  router.add('GET', '/api/v4/users/{user_id}', 'user', (context) => {
    const userId = context.params.user_id === 'me' ? context.user.id : context.params.user_id;
    const user = app.store.userById(userId);
    if (user === undefined) throw notFound('user', userId);
    return ok(userJson(user));
  });
  router.add('POST', '/api/v4/users/{user_id}/typing', 'user', (context) => typing(app, context));
}

async function createUser(app: App, context: RequestContext) {
  const fields = asObject(await context.body());
  const username = text(fields, 'username', {
    min: 3,
    max: 22,
    pattern: USERNAME,
    allowed: 'lower-case letters, digits, ".", "-" and "_", starting with a letter',
  });
  const email = text(fields, 'email', { max: 128, pattern: EMAIL, allowed: 'an email address' });
  const password = text(fields, 'password', { min: 8, max: 72 });
  const names = {
    first_name: optionalText(fields, 'first_name', { max: 64 }),
    last_name: optionalText(fields, 'last_name', { max: 64 }),
    nickname: optionalText(fields, 'nickname', { max: 64 }),
    position: optionalText(fields, 'position', { max: 128 }),
    locale: optionalText(fields, 'locale', { max: 5 }) || 'en',
  };

  // The first account on an empty server is its admin; after that, sign-up is closed
  // unless an admin creates the account or the server is open.
  const first = app.store.countUsers() === 0;
  const caller = signedInUser(app, context);
  const byAdmin = caller !== undefined && isAdmin(caller.roles);
  if (!first && !byAdmin && !app.settings.openSignup) {
    throw new ApiError(
      403,
      'api.user.create_user.no_open_server',
      'this server does not allow open signups',
    );
  }
  const refuseTaken = () => {
    const taken = app.store.userTaken(username.toLowerCase(), email.toLowerCase());
    if (taken !== undefined) {
      throw conflict(`app.user.save.${taken}_exists.app_error`, `that ${taken} is already taken`);
    }
  };
  refuseTaken();
  const passwordHash = await hashPassword(password);
  // Hashing gave way to other requests: one of them may have taken the name meanwhile.
  refuseTaken();

  const now = Date.now();
  const row: UserRow = {
    id: newId(),
    create_at: now,
    update_at: now,
    delete_at: 0,
    username: username.toLowerCase(),
    email: email.toLowerCase(),
    password: passwordHash,
    ...names,
    roles: first ? 'system_admin system_user' : 'system_user',
    last_password_update: now,
  };
  app.store.insertUser(row);
  return ok(userJson(row), 201);
}

async function login(app: App, context: RequestContext) {
  const fields = asObject(await context.body());
  // Like the server, read the body as strings only: other values are ignored.
  const value = (name: string) =>
    typeof fields[name] === 'string' ? (fields[name] as string) : '';
  const password = value('password');
  if (password === '') {
    throw new ApiError(
      400,
      'api.user.login.blank_pwd.app_error',
      'password field must not be blank',
    );
  }

  const byId = value('id');
  const user = byId !== '' ? app.store.userById(byId) : app.store.userByLogin(value('login_id'));
  const valid = user !== undefined && (await verifyPassword(password, user.password));
  if (!valid || user.delete_at !== 0) {
    throw new ApiError(
      401,
      'api.user.login.invalid_credentials_email_username',
      'enter a valid email or username and/or password',
    );
  }

  const token = newId();
  app.store.insertSession(token, user.id, Date.now());
  return { status: 200, body: userJson(user), headers: { Token: token } };
}

async function typing(app: App, context: RequestContext) {
  const fields = asObject(await context.body());
  const userId = context.params.user_id === 'me' ? context.user.id : context.params.user_id;
  if (userId !== context.user.id && !isAdmin(context.user.roles)) {
    forbiddenBy('send typing for another user');
  }
  const channelId = fields.channel_id;
  if (typeof channelId !== 'string') throw badParam('channel_id', channelId, 'a 26-character id');
  const channel = channelOrFail(app, channelId);
  requireChannelMember(app, channel, context.user);
  app.hub.typing(channel.id, userId, optionalId(fields, 'parent_id'));
  return statusOk();
}

/** The user behind the request's token, if any, for routes that also serve anonymous users. */
function signedInUser(app: App, context: RequestContext): UserRow | undefined {
  const token = tokenOf(context.request);
  return token === undefined ? undefined : app.store.userBySession(token, Date.now());
}
