// People: follow buttons and account lists (followers, following, search results, members).
import { api, session } from './api.js';
import {
  avatar, displayName, emptyState, errorState, h, profilePath, spinner, whenNear,
} from './dom.js';
import { networkBadge } from './status.js';
import { toast } from './ui.js';

export async function relationships(ids) {
  const others = ids.filter((id) => id !== session.me.id);
  if (!others.length) return new Map();
  const found = await api.get('/api/v1/accounts/relationships', { id: others }).catch(() => []);
  return new Map(found.map((r) => [r.id, r]));
}

export function followButton(account, relationship, onChange) {
  const button = h('button', { type: 'button', class: 'button small' });
  let rel = relationship || { following: false, requested: false, followed_by: false };
  function paint() {
    const following = rel.following || rel.requested;
    button.className = `button small${following ? '' : ' primary'}`;
    button.textContent = rel.following ? 'Unfollow' : rel.requested ? 'Requested'
      : rel.followed_by ? 'Follow back' : 'Follow';
    button.setAttribute('aria-label', `${button.textContent} ${displayName(account)}`);
  }
  button.addEventListener('click', async () => {
    const verb = rel.following || rel.requested ? 'unfollow' : 'follow';
    button.disabled = true;
    try {
      rel = await api.post(`/api/v1/accounts/${account.id}/${verb}`);
      paint();
      onChange?.(rel, verb);
      toast(verb === 'follow' ? `Following ${displayName(account)}.` : `Unfollowed ${displayName(account)}.`);
    } catch (err) {
      toast(err.message, 'error');
    } finally {
      button.disabled = false;
    }
  });
  paint();
  return button;
}

export function accountRow(account, { relationship, badges = [] } = {}) {
  const own = account.id === session.me.id;
  return h('li', { class: 'account-row' },
    h('a', { class: 'account-link', href: profilePath(account) },
      avatar(account, 44),
      h('span', { class: 'account-names' },
        h('bdi', { class: 'display-name', text: displayName(account) }),
        h('span', { class: 'acct', text: `@${account.acct}` }),
        account.hubbub?.title && h('span', { class: 'account-title', text: account.hubbub.title }))),
    h('span', { class: 'account-badges' }, networkBadge(account), badges),
    own ? h('span', { class: 'badge', text: 'You' }) : followButton(account, relationship));
}

/** A paged list of accounts. toAccount(item) unwraps items that are not accounts themselves. */
export function accountList({ path, query = {}, empty, label, toAccount = (a) => a,
  badges = () => [] }) {
  const list = h('ul', { class: 'account-list', 'aria-label': label });
  const more = h('button', { class: 'button load-more', type: 'button', text: 'Load more', hidden: true });
  const footer = h('div', { class: 'feed-footer' }, more);
  const el = h('section', {}, list, footer);
  let next = { ...query };
  let loading = false;

  async function load() {
    if (loading || !next) return;
    loading = true;
    more.hidden = true;
    footer.replaceChildren(spinner(), more);
    try {
      const page = await api.page(path, next);
      const accounts = page.items.map(toAccount);
      const rels = await relationships(accounts.map((a) => a.id));
      list.append(...page.items.map((item, i) => accountRow(accounts[i], {
        relationship: rels.get(accounts[i].id), badges: badges(item) })));
      next = page.items.length ? page.next : null;
      footer.replaceChildren(more);
      more.hidden = !next;
      if (!list.children.length && empty) list.replaceWith(empty());
      if (next) nearby.recheck();
    } catch (err) {
      footer.replaceChildren(err.status === 403 || err.status === 404
        ? emptyState('Not available', err.message)
        : errorState(err.message, load));
    } finally {
      loading = false;
    }
  }
  more.addEventListener('click', load);
  const nearby = whenNear(footer, load);
  load();
  return el;
}
