// Notifications: new ones arrive live; opening the page marks them read (POST /api/v1/markers),
// and the ones that were unread stay highlighted until you leave.
import { accountRow, relationships } from '../accounts.js';
import { api, newer } from '../api.js';
import { community as communityOf } from '../cache.js';
import {
  avatar, debounce, displayName, emptyState, errorState, h, icon, pageHeader, profilePath,
  richContent, spinner, statusPath, whenNear,
} from '../dom.js';
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
};

function quote(status) {
  // A preview as plain text: the content's own links would nest inside this one.
  const text = status.spoiler_text ? `Content warning: ${status.spoiler_text}`
    : richContent(status.content).textContent;
  return h('a', { class: 'notification-quote', href: statusPath(status), text });
}

function invite(n) {
  const id = n.hubbub?.community_id;
  const name = h('strong', { text: 'a community' });
  const join = h('button', { class: 'button small primary', type: 'button', text: 'Join' });
  const link = h('a', { href: `/web/communities/${id}` }, name);
  communityOf(id).then((c) => {
    if (!c) return;
    name.textContent = c.name;
    if (c.role) { join.disabled = true; join.textContent = 'Joined'; }
  });
  join.addEventListener('click', async () => {
    try {
      const c = await api.post(`/api/hubbub/v1/communities/${id}/join`);
      join.disabled = true;
      join.textContent = c.role ? 'Joined' : 'Requested';
      emit('memberships');
    } catch (err) { toast(err.message, 'error'); }
  });
  return h('div', { class: 'notification-extra' }, link, join);
}

function notificationItem(n, unread, rels = new Map()) {
  const [iconName, verb] = TEXT[n.type] || ['bell', n.type];
  const who = h('a', { href: profilePath(n.account) }, h('bdi', { text: displayName(n.account) }));
  const line = h('p', { class: 'notification-line' },
    h('span', { class: `notification-icon type-${n.type.replace('.', '-')}` }, icon(iconName)),
    avatar(n.account, 28), who, ` ${verb}`, h('span', { class: 'notification-time' }, timeElement(n.created_at)));
  const item = h('article', { class: `notification${unread ? ' unread' : ''}`, dataset: { id: n.id },
    'aria-label': `${displayName(n.account)} ${verb}${unread ? ', unread' : ''}` }, line);
  if (n.status && ['mention', 'status'].includes(n.type)) item.append(statusCard(n.status));
  else if (n.status) item.append(quote(n.status));
  else if (n.type === 'follow' || n.type === 'follow_request') {
    item.append(h('ul', { class: 'account-list' },
      accountRow(n.account, { relationship: rels.get(n.account.id) })));
  } else if (n.type === 'hubbub.community_invite') item.append(invite(n));
  return item;
}

export async function render(root, ctx) {
  const mentions = ctx.query.get('filter') === 'mentions';
  ctx.setTitle('Notifications');
  const list = h('div', { class: 'notifications', role: 'feed', 'aria-label': 'Notifications' },
    spinner('Loading notifications'));
  const more = h('button', { class: 'button load-more', type: 'button', text: 'Load more', hidden: true });
  const tabs = h('nav', { class: 'tabs', 'aria-label': 'Filter notifications' },
    h('a', { class: 'tab', href: '/web/notifications', 'aria-current': mentions ? null : 'page', text: 'All' }),
    h('a', { class: 'tab', href: '/web/notifications?filter=mentions', 'aria-current': mentions ? 'page' : null, text: 'Mentions' }));
  const footer = h('div', { class: 'feed-footer' }, more);
  root.append(pageHeader('Notifications'), tabs, list, footer);
  const query = mentions ? { types: ['mention'] } : {};
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

  let loading = false;
  async function load(first = false) {
    if (loading || (!first && !next)) return;
    loading = true;
    more.hidden = true;
    try {
      const page = await api.page('/api/v1/notifications', next || query, { signal: ctx.signal });
      const rels = await relationships(page.items.filter((n) => n.type.startsWith('follow'))
        .map((n) => n.account.id));
      if (first) list.replaceChildren();
      list.append(...page.items.map((n) => notificationItem(n, newer(n.id, lastRead), rels)));
      if (first && page.items[0]) newest = page.items[0].id;
      next = page.items.length ? page.next : null;
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
  await load(true);
  markRead();
  more.addEventListener('click', () => load());

  const stop = on('notification', (n) => {
    if (mentions && n.type !== 'mention') return;
    list.querySelector('.empty')?.remove();
    list.prepend(notificationItem(n, true));
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
