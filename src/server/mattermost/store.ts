// The store: SQLite through better-sqlite3, every query a prepared statement. Calls are
// synchronous (better-sqlite3 is), so one request's writes never interleave with another's;
// multi-row changes run in a transaction so a failure leaves no half-written post.

import Database from 'better-sqlite3';
import { migrate } from './schema.js';
import type {
  ChannelMemberRow,
  ChannelRow,
  PostRow,
  ReactionRow,
  StatusRow,
  TeamRow,
  UserRow,
} from './models.js';

type Statement = Database.Statement;

export const SESSION_LIFETIME_MS = 30 * 24 * 3600 * 1000;
const MAX_SEARCH_TERMS = 8;

export class Store {
  readonly db: Database.Database;
  readonly #statements = new Map<string, Statement>();
  // Member ids by channel, read on every post for the fan-out; dropped when members change.
  readonly #memberIds = new Map<string, string[]>();

  constructor(file: string | ':memory:') {
    this.db = new Database(file);
    if (file !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
  }

  close(): void {
    this.db.close();
  }

  /** A prepared statement, compiled once per SQL text. */
  sql(text: string): Statement {
    let statement = this.#statements.get(text);
    if (statement === undefined) {
      statement = this.db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  // Users and sessions

  countUsers(): number {
    return (this.sql('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  }

  insertUser(row: UserRow): void {
    this.sql(
      `INSERT INTO users (id, create_at, update_at, delete_at, username, email, password,
        first_name, last_name, nickname, position, roles, locale, last_password_update)
       VALUES (@id, @create_at, @update_at, @delete_at, @username, @email, @password,
        @first_name, @last_name, @nickname, @position, @roles, @locale, @last_password_update)`,
    ).run(row);
  }

  userById(id: string): UserRow | undefined {
    return this.sql('SELECT * FROM users WHERE id = ?').get(id) as UserRow | undefined;
  }

  userByLogin(loginId: string): UserRow | undefined {
    return this.sql('SELECT * FROM users WHERE username = ? OR email = ?').get(
      loginId.toLowerCase(),
      loginId.toLowerCase(),
    ) as UserRow | undefined;
  }

  userTaken(username: string, email: string): 'username' | 'email' | undefined {
    if (this.sql('SELECT 1 FROM users WHERE username = ?').get(username)) return 'username';
    if (this.sql('SELECT 1 FROM users WHERE email = ?').get(email)) return 'email';
    return undefined;
  }

  insertSession(token: string, userId: string, now: number): void {
    this.sql(
      'INSERT INTO sessions (token, user_id, create_at, expires_at) VALUES (?, ?, ?, ?)',
    ).run(token, userId, now, now + SESSION_LIFETIME_MS);
  }

  userBySession(token: string, now: number): UserRow | undefined {
    return this.sql(
      `SELECT u.* FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.token = ? AND s.expires_at > ? AND u.delete_at = 0`,
    ).get(token, now) as UserRow | undefined;
  }

  deleteSession(token: string): void {
    this.sql('DELETE FROM sessions WHERE token = ?').run(token);
  }

  // Teams

  insertTeam(row: TeamRow): void {
    this.sql(
      `INSERT INTO teams (id, create_at, update_at, delete_at, name, display_name, description,
        type, allow_open_invite, invite_id)
       VALUES (@id, @create_at, @update_at, @delete_at, @name, @display_name, @description,
        @type, @allow_open_invite, @invite_id)`,
    ).run(row);
  }

  teamById(id: string): TeamRow | undefined {
    return this.sql('SELECT * FROM teams WHERE id = ?').get(id) as TeamRow | undefined;
  }

  teamByName(name: string): TeamRow | undefined {
    return this.sql('SELECT * FROM teams WHERE name = ?').get(name) as TeamRow | undefined;
  }

  teamsOfUser(userId: string): TeamRow[] {
    return this.sql(
      `SELECT t.* FROM teams t JOIN team_members m ON m.team_id = t.id
       WHERE m.user_id = ? AND t.delete_at = 0 ORDER BY t.create_at`,
    ).all(userId) as TeamRow[];
  }

  teamRoles(teamId: string, userId: string): string | undefined {
    const row = this.sql('SELECT roles FROM team_members WHERE team_id = ? AND user_id = ?').get(
      teamId,
      userId,
    ) as { roles: string } | undefined;
    return row?.roles;
  }

  addTeamMember(teamId: string, userId: string, roles: string, now: number): string {
    this.sql(
      `INSERT INTO team_members (team_id, user_id, roles, create_at) VALUES (?, ?, ?, ?)
       ON CONFLICT DO NOTHING`,
    ).run(teamId, userId, roles, now);
    return this.teamRoles(teamId, userId)!;
  }

  // Channels and memberships

  insertChannel(row: ChannelRow): void {
    this.sql(
      `INSERT INTO channels (id, team_id, type, name, display_name, purpose, header, create_at,
        update_at, delete_at, last_post_at, total_msg_count, creator_id)
       VALUES (@id, @team_id, @type, @name, @display_name, @purpose, @header, @create_at,
        @update_at, @delete_at, @last_post_at, @total_msg_count, @creator_id)`,
    ).run(row);
  }

  channelById(id: string): ChannelRow | undefined {
    return this.sql('SELECT * FROM channels WHERE id = ?').get(id) as ChannelRow | undefined;
  }

  channelByName(teamId: string, name: string): ChannelRow | undefined {
    return this.sql('SELECT * FROM channels WHERE team_id = ? AND name = ?').get(teamId, name) as
      ChannelRow | undefined;
  }

  channelsOfUser(userId: string, teamId: string): ChannelRow[] {
    // Direct channels belong to no team and are listed with every team, as Mattermost does.
    return this.sql(
      `SELECT c.* FROM channels c JOIN channel_members m ON m.channel_id = c.id
       WHERE m.user_id = ? AND (c.team_id = ? OR c.team_id = '') AND c.delete_at = 0
       ORDER BY c.display_name`,
    ).all(userId, teamId) as ChannelRow[];
  }

  channelMember(channelId: string, userId: string): ChannelMemberRow | undefined {
    return this.sql('SELECT * FROM channel_members WHERE channel_id = ? AND user_id = ?').get(
      channelId,
      userId,
    ) as ChannelMemberRow | undefined;
  }

  membersOfUser(userId: string, teamId: string): ChannelMemberRow[] {
    return this.sql(
      `SELECT m.* FROM channel_members m JOIN channels c ON c.id = m.channel_id
       WHERE m.user_id = ? AND (c.team_id = ? OR c.team_id = '') AND c.delete_at = 0`,
    ).all(userId, teamId) as ChannelMemberRow[];
  }

  memberIdsOfChannel(channelId: string): readonly string[] {
    let ids = this.#memberIds.get(channelId);
    if (ids === undefined) {
      const statement = this.sql('SELECT user_id FROM channel_members WHERE channel_id = ?');
      ids = statement.pluck().all(channelId) as string[];
      this.#memberIds.set(channelId, ids);
    }
    return ids;
  }

  addChannelMember(channelId: string, userId: string, roles: string, now: number) {
    this.#memberIds.delete(channelId);
    this.sql(
      `INSERT INTO channel_members (channel_id, user_id, roles, last_update_at)
       VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ).run(channelId, userId, roles, now);
    return this.channelMember(channelId, userId)!;
  }

  /** Marks a channel read: the member has now seen every message in it. */
  viewChannel(channelId: string, userId: string, now: number): void {
    this.sql(
      `UPDATE channel_members SET last_viewed_at = ?, last_update_at = ?, mention_count = 0,
         msg_count = (SELECT total_msg_count FROM channels WHERE id = ?)
       WHERE channel_id = ? AND user_id = ?`,
    ).run(now, now, channelId, channelId, userId);
  }

  // Posts and reactions

  insertPost(row: PostRow): void {
    this.db.transaction(() => {
      this.sql(
        `INSERT INTO posts (id, channel_id, user_id, root_id, message, type, props, create_at,
          update_at, edit_at, delete_at, reply_count, last_reply_at, has_reactions,
          pending_post_id)
         VALUES (@id, @channel_id, @user_id, @root_id, @message, @type, @props, @create_at,
          @update_at, @edit_at, @delete_at, @reply_count, @last_reply_at, @has_reactions,
          @pending_post_id)`,
      ).run(row);
      this.sql(
        `UPDATE channels SET last_post_at = ?, total_msg_count = total_msg_count + 1
         WHERE id = ?`,
      ).run(row.create_at, row.channel_id);
      if (row.root_id !== '') {
        this.sql(
          `UPDATE posts SET reply_count = reply_count + 1, last_reply_at = ?, update_at = ?
           WHERE id = ?`,
        ).run(row.create_at, row.create_at, row.root_id);
      }
      // The author has read their own message.
      this.viewChannel(row.channel_id, row.user_id, row.create_at);
    })();
  }

  postById(id: string): PostRow | undefined {
    return this.sql('SELECT * FROM posts WHERE id = ?').get(id) as PostRow | undefined;
  }

  postByPendingId(userId: string, pendingId: string, since: number): PostRow | undefined {
    return this.sql(
      `SELECT * FROM posts WHERE user_id = ? AND pending_post_id = ? AND create_at > ?`,
    ).get(userId, pendingId, since) as PostRow | undefined;
  }

  postsPage(channelId: string, limit: number, offset: number): PostRow[] {
    return this.sql(
      `SELECT * FROM posts WHERE channel_id = ? AND delete_at = 0
       ORDER BY create_at DESC, rowid DESC LIMIT ? OFFSET ?`,
    ).all(channelId, limit, offset) as PostRow[];
  }

  postsSince(channelId: string, since: number, limit: number): PostRow[] {
    return this.sql(
      `SELECT * FROM posts WHERE channel_id = ? AND update_at > ?
       ORDER BY create_at DESC, rowid DESC LIMIT ?`,
    ).all(channelId, since, limit) as PostRow[];
  }

  postsBeside(
    channelId: string,
    anchorId: string,
    direction: 'before' | 'after',
    limit: number,
    offset: number,
  ): PostRow[] {
    const anchor = this.sql('SELECT rowid AS r, create_at FROM posts WHERE id = ?').get(
      anchorId,
    ) as { r: number; create_at: number } | undefined;
    if (anchor === undefined) return [];
    const sql =
      direction === 'before'
        ? `SELECT * FROM posts WHERE channel_id = ? AND delete_at = 0
           AND (create_at < ? OR (create_at = ? AND rowid < ?))
           ORDER BY create_at DESC, rowid DESC LIMIT ? OFFSET ?`
        : `SELECT * FROM (SELECT rowid AS r, * FROM posts WHERE channel_id = ? AND delete_at = 0
           AND (create_at > ? OR (create_at = ? AND rowid > ?))
           ORDER BY create_at ASC, rowid ASC LIMIT ? OFFSET ?) ORDER BY create_at DESC, r DESC`;
    const { r, create_at } = anchor;
    return this.sql(sql).all(channelId, create_at, create_at, r, limit, offset) as PostRow[];
  }

  thread(rootId: string): PostRow[] {
    return this.sql(
      `SELECT * FROM posts WHERE (id = ? OR root_id = ?) AND delete_at = 0
       ORDER BY create_at DESC, rowid DESC`,
    ).all(rootId, rootId) as PostRow[];
  }

  /** Posts in the team's channels the user is a member of, whose message has the terms. */
  searchPosts(
    userId: string,
    teamId: string,
    terms: string[],
    anyTerm: boolean,
    limit: number,
    offset: number,
  ): PostRow[] {
    const used = terms.slice(0, MAX_SEARCH_TERMS);
    const match = used.map(() => "p.message LIKE ? ESCAPE '\\'").join(anyTerm ? ' OR ' : ' AND ');
    const patterns = used.map((term) => `%${term.replace(/[\\%_]/g, (c) => '\\' + c)}%`);
    return this.sql(
      `SELECT p.* FROM posts p
       JOIN channel_members m ON m.channel_id = p.channel_id AND m.user_id = ?
       JOIN channels c ON c.id = p.channel_id AND (c.team_id = ? OR c.team_id = '')
       WHERE p.delete_at = 0 AND (${match})
       ORDER BY p.create_at DESC, p.rowid DESC LIMIT ? OFFSET ?`,
    ).all(userId, teamId, ...patterns, limit, offset) as PostRow[];
  }

  addReaction(row: ReactionRow): void {
    this.db.transaction(() => {
      this.sql(
        `INSERT INTO reactions (post_id, user_id, emoji_name, channel_id, create_at)
         VALUES (@post_id, @user_id, @emoji_name, @channel_id, @create_at)
         ON CONFLICT DO NOTHING`,
      ).run(row);
      this.sql('UPDATE posts SET has_reactions = 1, update_at = ? WHERE id = ?').run(
        row.create_at,
        row.post_id,
      );
    })();
  }

  reactionsOf(postIds: string[]): Map<string, ReactionRow[]> {
    const byPost = new Map<string, ReactionRow[]>();
    const statement = this.sql('SELECT * FROM reactions WHERE post_id = ? ORDER BY create_at');
    for (const id of postIds) {
      const rows = statement.all(id) as ReactionRow[];
      if (rows.length > 0) byPost.set(id, rows);
    }
    return byPost;
  }

  // Statuses

  statusOf(userId: string): StatusRow | undefined {
    return this.sql('SELECT * FROM statuses WHERE user_id = ?').get(userId) as
      StatusRow | undefined;
  }

  setStatus(userId: string, status: string, now: number): void {
    this.sql(
      `INSERT INTO statuses (user_id, status, manual, last_activity_at) VALUES (?, ?, 0, ?)
       ON CONFLICT (user_id) DO UPDATE SET status = excluded.status,
         last_activity_at = excluded.last_activity_at`,
    ).run(userId, status, now);
  }
}
