// Notifications in groups, as Mastodon 4.3 serves them (GET /api/v2/notifications): "Ana and 3
// others favourited your post", with the faces of those who did. New ones arrive live and join
// their group at the top; opening the page marks them read (POST /api/v1/markers), and the ones
// that were unread stay highlighted until you leave. What the filtering policy held back waits
// under "Filtered notifications" (views/notification_requests.js).
import { accountRow, relationships } from '../accounts.js';
import { api, newer, request } from '../api.js';
import { community as communityOf } from '../cache.js';
import { avatar, debounce, displayName, emptyState, errorState, feedOf, h, icon, pageHeader, profilePath, richContent, spinner, statusPath, whenNear } from '../dom.js';
import { statusCard } from '../status.js';
import { timeElement } from '../time.js';
import { emit, on, toast } from '../ui.js';

const TEXT = {
  mention: ['mention', 'mentioned you'],
  status: ['edit', 'posted'],
  update: ['edit', 'edited a post you interacted with'],
  favourite: ['star', 'favourited your post'],
  reblog: ['boost', 'boosted your post'],
  poll: ['poll', 'a poll you voted in has ended'],
  follow: ['userPlus', 'followed you'],
  follow_request: ['userPlus', 'asked to follow you'],
  'hubbub.community_invite': ['users', 'invited you to a community'],
  'hubbub.webhook_disabled': ['alert', '(you): a webhook you made kept failing and was disabled'],
};
const FACES = 8; // Mastodon's sample accounts per group

function quote(status) {
  // A preview as plain text: the content's own links would nest inside this one.
  const text = status.spoiler_text ? `Content warning: ${status.spoiler_text}`
    : richContent(status.content).textContent;
  return h('a', { class: 'notification-quote', href: statusPath(status), text });
}

function invite(communityId) {
  const name = h('strong', { text: 'a community' });
  const join = h('button', { class: 'button small primary', type: 'button', text: 'Join' });
  const link = h('a', { href: `/web/communities/${communityId}` }, name);
  communityOf(communityId).then((c) => {
    if (!c) return;
    name.textContent = c.name;
    if (c.role) { join.disabled = true; join.textContent = 'Joined'; }
  });
  join.addEventListener('click', async () => {
    try {
      const c = await api.post(`/api/hubbub/v1/communities/${communityId}/join`);
      join.disabled = true;
      join.textContent = c.role ? 'Joined' : 'Requested';
      emit('memberships');
    } catch (err) { toast(err.message, 'error'); }
  });
  return h('div', { class: 'notification-extra' }, link, join);
}

function personLink(account) {
  return h('a', { href: profilePath(account) }, h('bdi', { text: displayName(account) }));
}

/** "Ana", "Ana and Bob", "Ana and 3 others": as nodes, and as plain text for the label. */
function who(people, count) {
  const [first, second] = people;
  if (count <= 1 || !first) return { nodes: [personLink(first)], text: displayName(first) };
  if (count === 2 && second) {
    return { nodes: [personLink(first), ' and ', personLink(second)],
      text: `${displayName(first)} and ${displayName(second)}` };
  }
  const others = `${count - 1} ${count === 2 ? 'other' : 'others'}`;
  return { nodes: [personLink(first), ` and ${others}`], text: `${displayName(first)} and ${others}` };
}

function faces(people) {
  if (people.length === 1) return avatar(people[0], 28);
  return h('span', { class: 'notification-faces' }, people.slice(0, FACES).map((a) =>
    h('a', { href: profilePath(a), title: displayName(a) }, avatar(a, 28))));
}

function groupItem(g, known, unread, rels = new Map()) {
  const people = g.sample_account_ids.map((id) => known.accounts.get(id)).filter(Boolean);
  const status = g.status_id ? known.statuses.get(g.status_id) : null;
  const [iconName, verb] = TEXT[g.type] || ['bell', g.type];
  const names = who(people, g.notifications_count);
  const line = h('p', { class: 'notification-line' },
    h('span', { class: `notification-icon type-${g.type.replace('.', '-')}` }, icon(iconName)),
    faces(people), h('span', { class: 'notification-who' }, names.nodes), ` ${verb}`,
    h('span', { class: 'notification-time' }, timeElement(g.latest_page_notification_at)));
  const item = h('article', { class: `notification${unread ? ' unread' : ''}`,
    dataset: { id: g.most_recent_notification_id, groupKey: g.group_key },
    'aria-label': `${names.text} ${verb}${unread ? ', unread' : ''}` }, line);
  if (status && ['mention', 'status'].includes(g.type)) item.append(statusCard(status));
  else if (status) item.append(quote(status));
  else if (g.type === 'follow' || g.type === 'follow_request') {
    item.append(h('ul', { class: 'account-list' },
      people.map((a) => accountRow(a, { relationship: rels.get(a.id) }))));
  } else if (g.type === 'hubbub.community_invite' && g.hubbub) item.append(invite(g.hubbub.community_id));
  return item;
}

/** A live notification (v1's shape) as a group of one, its account and status made known. */
function groupOf(n, known) {
  known.accounts.set(n.account.id, n.account);
  if (n.status) known.statuses.set(n.status.id, n.status);
  return { group_key: n.group_key || `ungrouped-${n.id}`, type: n.type, notifications_count: 1,
    most_recent_notification_id: n.id, page_max_id: n.id, sample_account_ids: [n.account.id],
    status_id: n.status?.id || null, latest_page_notification_at: n.created_at, hubbub: n.hubbub };
}

function filteredEntry(count) {
  return h('a', { class: 'filtered-entry', href: '/web/notifications/requests' },
    h('span', { class: 'notification-icon' }, icon('lock')),
    h('span', { class: 'filtered-entry-text' },
      h('strong', { text: 'Filtered notifications' }),
      h('span', { text: `From ${count} ${count === 1 ? 'person' : 'people'} you may not know` })),
    h('span', { class: 'badge', text: String(count) }));
}

export async function render(root, ctx) {
  const mentions = ctx.query.get('filter') === 'mentions';
  ctx.setTitle('Notifications');
  const filtered = h('div', { class: 'filtered-slot' });
  const list = feedOf(h('div', { class: 'notifications', 'aria-label': 'Notifications' },
    spinner('Loading notifications')));
  const more = h('button', { class: 'button load-more', type: 'button', text: 'Load more', hidden: true });
  const tabs = h('nav', { class: 'tabs', 'aria-label': 'Filter notifications' },
    h('a', { class: 'tab', href: '/web/notifications', 'aria-current': mentions ? null : 'page', text: 'All' }),
    h('a', { class: 'tab', href: '/web/notifications?filter=mentions', 'aria-current': mentions ? 'page' : null, text: 'Mentions' }));
  const footer = h('div', { class: 'feed-footer' }, more);
  root.append(pageHeader('Notifications'), tabs, filtered, list, footer);
  const query = mentions ? { types: ['mention'] } : {};
  const known = { accounts: new Map(), statuses: new Map() };
  const groups = new Map(); // group_key -> { group, el }
  let lastRead = '0';
  let newest = null;
  let next = null;

  const markRead = debounce(async () => {
    if (!newest || !newer(newest, lastRead) || document.visibilityState !== 'visible') return;
    try {
      await api.post('/api/v1/markers', { notifications: { last_read_id: newest } });
      lastRead = newest;
      emit('notifications-read');
    } catch { /* the badge stays; the next visit tries again */ }
  }, 400);

  function place(group, unread, rels, { atTop = false } = {}) {
    const el = groupItem(group, known, unread, rels);
    const before = groups.get(group.group_key);
    if (before && !atTop) return; // a page never shows a group twice; this is belt and braces
    before?.el.remove();
    groups.set(group.group_key, { group, el });
    if (atTop) list.prepend(el); else list.append(el);
  }

  let loading = false;
  async function load(first = false) {
    if (loading || (!first && !next)) return;
    loading = true;
    more.hidden = true;
    try {
      const { data, link } = await request('GET', '/api/v2/notifications', { query: next || query,
        signal: ctx.signal });
      data.accounts.forEach((a) => known.accounts.set(a.id, a));
      data.statuses.forEach((s) => known.statuses.set(s.id, s));
      const page = data.notification_groups;
      const followers = page.filter((g) => g.type.startsWith('follow'))
        .flatMap((g) => g.sample_account_ids);
      const rels = await relationships([...new Set(followers)]);
      if (first) list.replaceChildren();
      page.forEach((g) => place(g, newer(g.most_recent_notification_id, lastRead), rels));
      if (first && page[0]) newest = page[0].most_recent_notification_id;
      next = page.length && link.next ? Object.fromEntries(link.next.searchParams) : null;
      more.hidden = !next;
      if (next) nearby.recheck();
      if (!list.children.length) {
        list.replaceChildren(emptyState(mentions ? 'No mentions yet' : 'No notifications yet',
          'When someone follows you, mentions you, or favourites or boosts your posts, you will see it here.'));
      }
    } catch (err) {
      if (err.name !== 'AbortError') list.replaceChildren(errorState(err.message, () => load(first)));
    } finally {
      loading = false;
    }
  }
  const nearby = whenNear(footer, () => load());

  try {
    const markers = await api.get('/api/v1/markers', { timeline: ['notifications'] }, { signal: ctx.signal });
    lastRead = markers.notifications?.last_read_id || '0';
  } catch { /* everything counts as unread */ }
  api.get('/api/v2/notifications/policy', undefined, { signal: ctx.signal }).then((policy) => {
    const count = policy.summary.pending_requests_count;
    if (count) filtered.replaceChildren(filteredEntry(count));
  }, () => { /* no entry: the list still works */ });
  await load(true);
  markRead();
  more.addEventListener('click', () => load());

  const stop = on('notification', (n) => {
    if (mentions && n.type !== 'mention') return;
    list.querySelector('.empty')?.remove();
    const fresh = groupOf(n, known);
    const held = groups.get(fresh.group_key);
    let group = fresh;
    if (held && !fresh.group_key.startsWith('ungrouped-')) {
      // Joins its group, which moves to the top; someone counted already (a favourite undone
      // and made again) is not counted twice, as Mastodon's client does.
      const g = held.group;
      const again = g.sample_account_ids.includes(n.account.id);
      group = { ...g, most_recent_notification_id: n.id, page_max_id: n.id,
        latest_page_notification_at: n.created_at,
        notifications_count: g.notifications_count + (again ? 0 : 1),
        sample_account_ids: again ? g.sample_account_ids
          : [n.account.id, ...g.sample_account_ids].slice(0, FACES) };
    }
    place(group, true, new Map(), { atTop: true });
    if (!newest || newer(n.id, newest)) newest = n.id;
    markRead();
  });
  const onVisible = () => markRead();
  document.addEventListener('visibilitychange', onVisible);
  return { cleanup: () => {
    stop();
    nearby.stop();
    document.removeEventListener('visibilitychange', onVisible);
  } };
}
