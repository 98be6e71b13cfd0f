// Rows as stored, and the JSON shapes Mattermost clients expect for them. Fields a real
// server sends but chatload does not track are sent with their neutral value, so that
// clients which read them find the type they expect.

export interface UserRow {
  id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  username: string;
  email: string;
  password: string;
  first_name: string;
  last_name: string;
  nickname: string;
  position: string;
  roles: string;
  locale: string;
  last_password_update: number;
}

export interface TeamRow {
  id: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  name: string;
  display_name: string;
  description: string;
  type: string;
  allow_open_invite: number;
  invite_id: string;
}

export interface ChannelRow {
  id: string;
  team_id: string;
  type: string;
  name: string;
  display_name: string;
  purpose: string;
  header: string;
  create_at: number;
  update_at: number;
  delete_at: number;
  last_post_at: number;
  total_msg_count: number;
  creator_id: string;
}

export interface ChannelMemberRow {
  channel_id: string;
  user_id: string;
  roles: string;
  last_viewed_at: number;
  msg_count: number;
  mention_count: number;
  last_update_at: number;
}

export interface PostRow {
  id: string;
  channel_id: string;
  user_id: string;
  root_id: string;
  message: string;
  type: string;
  props: string;
  create_at: number;
  update_at: number;
  edit_at: number;
  delete_at: number;
  reply_count: number;
  last_reply_at: number;
  has_reactions: number;
  pending_post_id: string;
}

export interface ReactionRow {
  post_id: string;
  user_id: string;
  emoji_name: string;
  channel_id: string;
  create_at: number;
}

export interface StatusRow {
  user_id: string;
  status: string;
  manual: number;
  last_activity_at: number;
}

export function userJson(row: UserRow) {
  // The password hash never leaves the store.
  return {
    id: row.id,
    create_at: row.create_at,
    update_at: row.update_at,
    delete_at: row.delete_at,
    username: row.username,
    auth_data: '',
    auth_service: '',
    email: row.email,
    email_verified: true,
    nickname: row.nickname,
    first_name: row.first_name,
    last_name: row.last_name,
    position: row.position,
    roles: row.roles,
    locale: row.locale,
    notify_props: {},
    props: {},
    last_password_update: row.last_password_update,
    last_picture_update: 0,
    failed_attempts: 0,
    mfa_active: false,
    timezone: { automaticTimezone: '', manualTimezone: '', useAutomaticTimezone: 'true' },
  };
}

export function teamJson(row: TeamRow) {
  return {
    id: row.id,
    create_at: row.create_at,
    update_at: row.update_at,
    delete_at: row.delete_at,
    display_name: row.display_name,
    name: row.name,
    description: row.description,
    email: '',
    type: row.type,
    company_name: '',
    allowed_domains: '',
    invite_id: row.invite_id,
    allow_open_invite: row.allow_open_invite === 1,
    scheme_id: '',
    group_constrained: false,
    policy_id: null,
  };
}

export function teamMemberJson(teamId: string, userId: string, roles: string) {
  return {
    team_id: teamId,
    user_id: userId,
    roles,
    delete_at: 0,
    scheme_guest: false,
    scheme_user: true,
    scheme_admin: roles.includes('team_admin'),
    explicit_roles: '',
  };
}

export function channelJson(row: ChannelRow) {
  return {
    id: row.id,
    create_at: row.create_at,
    update_at: row.update_at,
    delete_at: row.delete_at,
    team_id: row.team_id,
    type: row.type,
    display_name: row.display_name,
    name: row.name,
    header: row.header,
    purpose: row.purpose,
    last_post_at: row.last_post_at,
    last_root_post_at: row.last_post_at,
    total_msg_count: row.total_msg_count,
    total_msg_count_root: row.total_msg_count,
    extra_update_at: 0,
    creator_id: row.creator_id,
    scheme_id: null,
    group_constrained: null,
    shared: null,
    policy_id: null,
  };
}

export function channelMemberJson(row: ChannelMemberRow) {
  return {
    channel_id: row.channel_id,
    user_id: row.user_id,
    roles: row.roles,
    last_viewed_at: row.last_viewed_at,
    msg_count: row.msg_count,
    mention_count: row.mention_count,
    mention_count_root: row.mention_count,
    urgent_mention_count: 0,
    msg_count_root: row.msg_count,
    notify_props: { desktop: 'default', mark_unread: 'all', push: 'default', email: 'default' },
    last_update_at: row.last_update_at,
    scheme_guest: false,
    scheme_user: true,
    scheme_admin: row.roles.includes('channel_admin'),
    explicit_roles: '',
  };
}

export function postJson(row: PostRow, reactions: ReactionRow[] = []) {
  return {
    id: row.id,
    create_at: row.create_at,
    update_at: row.update_at,
    edit_at: row.edit_at,
    delete_at: row.delete_at,
    is_pinned: false,
    user_id: row.user_id,
    channel_id: row.channel_id,
    root_id: row.root_id,
    original_id: '',
    message: row.message,
    type: row.type,
    props: JSON.parse(row.props) as Record<string, unknown>,
    hashtags: '',
    file_ids: [] as string[],
    pending_post_id: row.pending_post_id,
    reply_count: row.reply_count,
    last_reply_at: row.last_reply_at,
    participants: null,
    has_reactions: row.has_reactions === 1,
    metadata: reactions.length > 0 ? { reactions: reactions.map(reactionJson) } : {},
  };
}

export function reactionJson(row: ReactionRow) {
  return {
    user_id: row.user_id,
    post_id: row.post_id,
    emoji_name: row.emoji_name,
    create_at: row.create_at,
    update_at: row.create_at,
    delete_at: 0,
    channel_id: row.channel_id,
    remote_id: '',
  };
}

export function statusJson(userId: string, row: StatusRow | undefined) {
  return {
    user_id: userId,
    status: row?.status ?? 'offline',
    manual: row?.manual === 1,
    last_activity_at: row?.last_activity_at ?? 0,
    dnd_end_time: 0,
  };
}
