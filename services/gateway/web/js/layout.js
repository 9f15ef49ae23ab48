// The signed-in shell: left navigation (a bottom bar on phones), the main column, a side column
// with your communities, the live unread badge, the unread dot of direct messages and the
// connection banner.
import { api, session } from './api.js';
import { signOut } from './auth.js';
import { rememberCommunity } from './cache.js';
import { openComposer } from './compose.js';
import { avatar, displayName, h, icon, profilePath } from './dom.js';
import { forgetKept, navigate, setTitlePrefix } from './router.js';
import { onConnectionChange, watch } from './stream.js';
import { emit, on } from './ui.js';

const unread = { count: 0 };

function navLink(href, iconName, label, extra) {
  return h('li', {}, h('a', { class: 'nav-link', href, dataset: { nav: href } },
    icon(iconName), h('span', { class: 'nav-label', text: label }), extra));
}

export function markCurrentNav() {
  const path = location.pathname;
  for (const link of document.querySelectorAll('.nav-link')) {
    const href = link.dataset.nav;
    const current = href === '/' ? path === '/' : path === href || path.startsWith(`${href}/`);
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function setUnread(count, badge, link) {
  unread.count = Math.max(0, count);
  badge.textContent = unread.count > 99 ? '99+' : String(unread.count);
  badge.hidden = unread.count === 0;
  link.setAttribute('aria-label', unread.count
    ? `Notifications, ${unread.count} unread` : 'Notifications');
  setTitlePrefix(unread.count ? `(${unread.count}) ` : '');
}

/** The dot on "Direct messages": shown while a conversation is unread; live from the direct
 * stream, whose conversation events the Direct messages screen takes from here. */
function directMessages() {
  const dot = h('span', { class: 'nav-dot', hidden: true, 'aria-hidden': 'true' });
  const item = navLink('/web/conversations', 'mail', 'Direct messages', dot);
  const link = item.querySelector('a');
  const show = (unread) => {
    dot.hidden = !unread;
    link.setAttribute('aria-label', unread ? 'Direct messages, unread' : 'Direct messages');
  };
  const check = () => api.get('/api/v1/conversations', { limit: 40 })
    .then((page) => show(page.some((c) => c.unread)), () => {});
  check();
  watch('direct', (event, payload) => {
    if (event !== 'conversation') return;
    if (payload.unread) show(true);
    emit('conversation', payload);
  }, check);
  on('conversations-read', check);
  return item;
}

function sideCommunities() {
  const list = h('ul', { class: 'side-list' });
  const box = h('section', { class: 'side-card', 'aria-labelledby': 'side-communities' },
    h('h2', { id: 'side-communities', text: 'Your communities' }), list);
  async function load() {
    try {
      const all = await api.get('/api/hubbub/v1/communities', { limit: 80 });
      all.forEach(rememberCommunity);
      const mine = all.filter((c) => c.role);
      list.replaceChildren(...mine.slice(0, 8).map((c) => h('li', {},
        h('a', { href: `/web/communities/${c.id}` }, icon('users'), h('span', { text: c.name })),
        c.role === 'guest' && h('span', { class: 'badge warn', text: 'Guest' }))));
      if (!mine.length) {
        list.replaceChildren(h('li', { class: 'side-empty' },
          h('a', { href: '/web/communities', text: 'Browse communities' })));
      }
    } catch {
      list.replaceChildren(h('li', { class: 'side-empty', text: 'Communities are unavailable.' }));
    }
  }
  load();
  on('memberships', load);
  return box;
}

export function buildShell(root) {
  const me = session.me;
  const badge = h('span', { class: 'nav-badge', hidden: true, 'aria-hidden': 'true' });
  const notifications = navLink('/web/notifications', 'bell', 'Notifications', badge);
  const notificationsLink = notifications.querySelector('a');
  const main = h('main', { id: 'main', tabindex: '-1' });
  const banner = h('div', { class: 'connection', role: 'status', hidden: true });

  let meAvatar = avatar(me, 36);
  const meName = h('bdi', { class: 'display-name', text: displayName(me) });
  // Your picture and name changed in Settings: shown here at once.
  on('me', (account) => {
    const fresh = avatar(account, 36);
    meAvatar.replaceWith(fresh);
    meAvatar = fresh;
    meName.textContent = displayName(account);
  });
  const sidebar = h('header', { class: 'sidebar' },
    h('a', { class: 'logo', href: '/', 'aria-label': 'Hubbub home' },
      h('img', { src: `${root.dataset.assets}/icon.svg`, alt: '', width: 32, height: 32 }),
      h('span', { class: 'logo-name', text: 'Hubbub' })),
    h('nav', { 'aria-label': 'Main' }, h('ul', { class: 'nav-list' },
      navLink('/', 'home', 'Home'),
      notifications,
      directMessages(),
      navLink('/web/network', 'building', me.hubbub?.network || 'Network'),
      navLink('/web/communities', 'users', 'Communities'),
      navLink('/web/search', 'search', 'Search'),
      navLink('/web/bookmarks', 'bookmark', 'Bookmarks'),
      navLink('/web/scheduled', 'clock', 'Scheduled'),
      navLink(profilePath(me), 'user', 'Profile'),
      navLink('/web/settings', 'filter', 'Settings'),
      // Owners, admins (every section) and moderators (moderation); the gateway checks again
      // on every admin call.
      ['owner', 'admin', 'moderator'].includes(session.network?.role)
        && navLink('/web/admin', 'lock', 'Network admin'))),
    h('button', { class: 'button primary compose-button', type: 'button',
      onclick: () => openComposer(), 'aria-keyshortcuts': 'n' },
    icon('edit'), h('span', { text: 'New post' })),
    h('div', { class: 'me-card' },
      meAvatar,
      h('div', { class: 'me-names' },
        meName,
        h('span', { class: 'acct', text: `@${me.acct}` })),
      h('button', { class: 'icon-button', type: 'button', 'aria-label': 'Sign out',
        title: 'Sign out', onclick: signOut }, icon('logout'))));

  const aside = h('aside', { class: 'aside', 'aria-label': 'Sidebar' },
    h('form', { class: 'side-search', role: 'search', action: '/web/search' },
      h('label', { for: 'side-q', class: 'sr-only', text: 'Search people and hashtags' }),
      icon('search'),
      h('input', { id: 'side-q', name: 'q', type: 'search', placeholder: 'Search people and #tags' })),
    sideCommunities(),
    h('p', { class: 'side-hint' }, icon('keyboard'), 'Press ', h('kbd', { text: '?' }),
      ' for keyboard shortcuts'));
  aside.querySelector('form').addEventListener('submit', (event) => {
    event.preventDefault();
    const q = event.target.elements.namedItem('q');
    navigate(`/web/search?q=${encodeURIComponent(q.value)}`);
    q.value = '';
  });

  root.classList.remove('booting');
  root.replaceChildren(
    h('a', { class: 'skip-link', href: '#main', text: 'Skip to content' }),
    h('div', { class: 'app' }, sidebar, main, aside), banner);

  // The unread badge: counted once, then live from the user stream.
  api.get('/api/v1/notifications/unread_count')
    .then((r) => setUnread(r.count, badge, notificationsLink), () => {});
  watch('user', (event, payload) => {
    if (event === 'filters_changed') forgetKept();  // here or in another app: shown afresh
    if (event !== 'notification') return;
    setUnread(unread.count + 1, badge, notificationsLink);
    emit('notification', payload);
  }, () => api.get('/api/v1/notifications/unread_count')
    .then((r) => setUnread(r.count, badge, notificationsLink), () => {}));
  on('notifications-read', () => setUnread(0, badge, notificationsLink));

  let downTimer = null;
  onConnectionChange((state) => {
    clearTimeout(downTimer);
    if (state === 'up') { banner.hidden = true; return; }
    // A blip is not worth a banner; a connection down for a few seconds is.
    downTimer = setTimeout(() => {
      banner.hidden = false;
      banner.textContent = state === 'unauthorized'
        ? 'Your session ended. Sign in again to see live updates.'
        : 'Live updates paused. Reconnecting…';
    }, 2500);
  });
  return main;
}

