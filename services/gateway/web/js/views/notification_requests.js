// Filtered notifications: what your notification policy held back, one request per person
// (GET /api/v1/notifications/requests). Accept lets that person's notifications into your list,
// now and from then on; dismiss forgets them.
import { api } from '../api.js';
import { avatar, displayName, emptyState, errorState, feedOf, h, pageHeader, profilePath, richContent, spinner, statusPath, whenNear } from '../dom.js';
import { timeElement } from '../time.js';
import { toast } from '../ui.js';

function requestItem(r, onAnswered) {
  const count = Number(r.notifications_count);
  const name = displayName(r.account);
  const accept = h('button', { class: 'button small primary', type: 'button', text: 'Accept' });
  const dismiss = h('button', { class: 'button small', type: 'button', text: 'Dismiss' });
  const item = h('article', { class: 'notification notification-request', dataset: { id: r.id },
    'aria-label': `${name}, ${count} filtered ${count === 1 ? 'notification' : 'notifications'}` },
  h('p', { class: 'notification-line' },
    avatar(r.account, 28),
    h('span', { class: 'notification-who' },
      h('a', { href: profilePath(r.account) }, h('bdi', { text: name }))),
    ` ${count} ${count === 1 ? 'notification' : 'notifications'}`,
    h('span', { class: 'notification-time' }, timeElement(r.updated_at))));
  if (r.last_status) {
    const s = r.last_status;
    const text = s.spoiler_text ? `Content warning: ${s.spoiler_text}` : richContent(s.content).textContent;
    item.append(h('a', { class: 'notification-quote', href: statusPath(s), text }));
  }
  item.append(h('div', { class: 'notification-extra' }, accept, dismiss));
  async function answer(action, done) {
    accept.disabled = true;
    dismiss.disabled = true;
    try {
      await api.post(`/api/v1/notifications/requests/${encodeURIComponent(r.id)}/${action}`);
      item.remove();
      toast(done);
      onAnswered();
    } catch (err) {
      accept.disabled = false;
      dismiss.disabled = false;
      toast(err.message, 'error');
    }
  }
  accept.addEventListener('click', () => answer('accept', `${name}'s notifications are in your list now`));
  dismiss.addEventListener('click', () => answer('dismiss', `Dismissed ${name}'s notifications`));
  return item;
}

export async function render(root, ctx) {
  ctx.setTitle('Filtered notifications');
  const intro = h('p', { class: 'page-intro', text:
    'Your notification policy held these back: private mentions from people you do not follow, '
    + 'and whatever else you chose to filter. Accept a person to see their notifications from now on.' });
  const list = feedOf(h('div', { class: 'notifications', 'aria-label': 'Filtered notifications' },
    spinner('Loading filtered notifications')));
  const more = h('button', { class: 'button load-more', type: 'button', text: 'Load more', hidden: true });
  const footer = h('div', { class: 'feed-footer' }, more);
  root.append(pageHeader('Filtered notifications',
    h('a', { class: 'button small', href: '/web/notifications', text: 'Back to notifications' })),
  intro, list, footer);
  let next = {};
  let loading = false;

  const emptyIfDone = () => {
    if (!list.querySelector('article') && !next) {
      list.replaceChildren(emptyState('Nothing filtered', 'Notifications your policy holds back will wait here.'));
    }
  };

  async function load() {
    if (loading || !next) return;
    loading = true;
    more.hidden = true;
    try {
      const page = await api.page('/api/v1/notifications/requests', next, { signal: ctx.signal });
      list.querySelector('.spinner')?.remove();
      list.append(...page.items.map((r) => requestItem(r, emptyIfDone)));
      next = page.items.length ? page.next : null;
      more.hidden = !next;
      if (next) nearby.recheck();
      emptyIfDone();
    } catch (err) {
      if (err.name !== 'AbortError') list.replaceChildren(errorState(err.message, load));
    } finally {
      loading = false;
    }
  }
  const nearby = whenNear(footer, () => load());
  await load();
  more.addEventListener('click', () => load());
  return { cleanup: () => nearby.stop() };
}
