// A profile: who they are (name, job, network, bio, fields), follow or unfollow, and tabs for
// their posts, the people they follow and their followers.
import { accountList, followButton, relationships } from '../accounts.js';
import { api, session } from '../api.js';
import { signOut } from '../auth.js';
import { openComposer } from '../compose.js';
import {
  avatar, displayName, emptyState, errorState, h, icon, profilePath, richContent, spinner,
} from '../dom.js';
import { openReport } from '../report.js';
import { networkBadge } from '../status.js';
import { timeline } from '../timeline.js';
import { menuButton } from '../ui.js';

function counts(account, base) {
  const stat = (n, label, href, name) => h(href ? 'a' : 'span', { class: `stat stat-${name}`, href },
    h('strong', { text: n.toLocaleString(), dataset: { n: String(n) } }), ` ${label}`);
  return h('p', { class: 'profile-stats' },
    stat(account.statuses_count, account.statuses_count === 1 ? 'post' : 'posts', base, 'posts'),
    stat(account.following_count, 'following', `${base}/following`, 'following'),
    stat(account.followers_count, 'followers', `${base}/followers`, 'followers'));
}

function header(account, relationship) {
  const own = account.id === session.me.id;
  const job = [account.hubbub?.title, account.hubbub?.department].filter(Boolean).join(' · ');
  const base = profilePath(account);
  const message = !own && h('button', { class: 'button small', type: 'button',
    onclick: () => openComposer({ visibility: 'direct', text: `@${account.acct} ` }) },
  icon('mail'), 'Message');
  const actions = own
    ? h('button', { class: 'button small', type: 'button', onclick: signOut }, icon('logout'), 'Sign out')
    : followButton(account, relationship, (rel, verb) => {
      // The count on the page follows what you just did; the server's catches up on reload.
      const followers = card.querySelector('.stat-followers strong');
      const n = Number(followers.dataset.n) + (verb === 'follow' ? (rel.following ? 1 : 0) : -1);
      followers.dataset.n = String(Math.max(0, n));
      followers.textContent = Math.max(0, n).toLocaleString();
    });
  const card = h('section', { class: 'card profile-card' },
    h('div', { class: 'profile-banner' }),
    h('div', { class: 'profile-top' }, avatar(account, 88), h('div', { class: 'profile-actions' },
      relationship?.followed_by && h('span', { class: 'badge', text: 'Follows you' }), message,
      actions, !own && menuButton(`More for ${displayName(account)}`, [
        { label: 'Report', icon: 'alert', danger: true, action: () => openReport(account) }]))),
    h('h2', { class: 'profile-name' }, h('bdi', { text: displayName(account) })),
    h('p', { class: 'profile-acct' }, h('span', { text: `@${account.acct}` }),
      networkBadge(account) || h('span', { class: 'badge', text: account.hubbub?.network || '' }),
      account.bot && h('span', { class: 'badge', text: 'Bot' })),
    job && h('p', { class: 'profile-job', text: job }),
    account.note && h('div', { class: 'profile-note' }, richContent(account.note)),
    account.fields?.length ? h('dl', { class: 'profile-fields' }, account.fields.map((f) => [
      h('dt', { text: f.name }), h('dd', {}, richContent(f.value))])) : null,
    counts(account, base));
  return card;
}

function tabs(base, tab) {
  const link = (href, label, current) => h('a', { href, class: 'tab',
    'aria-current': current ? 'page' : null, text: label });
  return h('nav', { class: 'tabs', 'aria-label': 'Profile sections' },
    link(base, 'Posts', !tab),
    link(`${base}/following`, 'Following', tab === 'following'),
    link(`${base}/followers`, 'Followers', tab === 'followers'));
}

export async function render(root, ctx) {
  const [username, tab] = ctx.params;
  ctx.setTitle(`@${username}`);
  const body = h('div', {}, spinner('Loading profile'));
  root.append(h('header', { class: 'page-header' }, h('h1', { tabindex: '-1', text: `@${username}` })), body);
  let account;
  try {
    account = await api.get('/api/v1/accounts/lookup', { acct: username }, { signal: ctx.signal });
  } catch (err) {
    if (err.name === 'AbortError') return null;
    body.replaceChildren(err.status === 404
      ? emptyState('No one here', `There is no @${username} you can see.`)
      : errorState(err.message, () => location.reload()));
    return null;
  }
  const name = displayName(account);
  root.querySelector('h1').textContent = name;
  ctx.setTitle(tab ? `${name}: ${tab}` : `${name} (@${account.acct})`);
  const rel = (await relationships([account.id])).get(account.id);
  const base = profilePath(account);
  let content;
  let feed = null;
  if (tab) {
    content = accountList({
      path: `/api/v1/accounts/${account.id}/${tab}`,
      label: tab === 'followers' ? `People following ${name}` : `People ${name} follows`,
      empty: () => emptyState(tab === 'followers' ? 'No followers yet' : 'Not following anyone yet'),
    });
  } else {
    feed = timeline({
      path: `/api/v1/accounts/${account.id}/statuses`,
      label: `Posts by ${name}`,
      empty: () => emptyState('No posts yet', `${name} has not posted anything you can see.`),
    });
    content = feed.el;
  }
  body.replaceChildren(header(account, rel), tabs(base, tab), content);
  return { cleanup: () => feed?.destroy() };
}
