// A profile: who they are (name, job, network, bio, fields, featured hashtags), follow or
// unfollow, a menu for your private note about them and featuring them on your own profile, and
// tabs for their posts, the people they follow and their followers.
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
import { menuButton, openDialog, toast } from '../ui.js';

const MAX_NOTE = 2000; // Mastodon's limit on a private note

/** Your private note about them: only you ever see it (it lives in your relationship). */
function privateNote(account, rel) {
  const text = h('p', { class: 'profile-private-note', hidden: !rel.note },
    h('strong', { text: 'Your note: ' }), h('span', { text: rel.note || '' }));
  function edit() {
    const field = h('textarea', { class: 'input', rows: 4, maxlength: MAX_NOTE,
      'aria-label': `Your private note about ${displayName(account)}` });
    field.value = rel.note || '';
    const save = h('button', { class: 'button primary', type: 'submit', text: 'Save note' });
    const form = h('form', { class: 'stack' },
      h('p', { class: 'dialog-text', text: 'Only you can see this note.' }), field,
      h('div', { class: 'dialog-actions' }, save));
    const dialog = openDialog({ title: 'Private note', body: form });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      save.disabled = true;
      try {
        Object.assign(rel, await api.post(`/api/v1/accounts/${account.id}/note`,
          { comment: field.value }));
        text.querySelector('span').textContent = rel.note;
        text.hidden = !rel.note;
        dialog.close();
        toast(rel.note ? 'Note saved.' : 'Note removed.');
      } catch (err) {
        toast(err.message, 'error');
      } finally {
        save.disabled = false;
      }
    });
    field.focus();
  }
  return { text, edit };
}

/** The profile's menu: your note, featuring them on your profile (whom you follow), and
 * reporting them. */
function profileMenu(account, rel, note) {
  return menuButton(`More for ${displayName(account)}`, [
    { icon: 'edit', get label() { return rel.note ? 'Edit note' : 'Add a note'; },
      action: note.edit },
    { icon: 'star', get label() { return rel.endorsed ? 'Stop featuring on profile' : 'Feature on profile'; },
      action: async () => {
        const verb = rel.endorsed ? 'unpin' : 'pin';
        try {
          Object.assign(rel, await api.post(`/api/v1/accounts/${account.id}/${verb}`));
          toast(rel.endorsed ? `${displayName(account)} is featured on your profile.`
            : `${displayName(account)} is no longer featured.`);
        } catch (err) {
          toast(err.message, 'error');
        }
      } },
    // To the network's moderators (Network admin → Moderation).
    { icon: 'alert', label: 'Report', danger: true, action: () => openReport(account) },
  ]);
}

/** The hashtags they feature, each with how often they used it. */
function featuredTags(tags) {
  if (!tags?.length) return null;
  return h('ul', { class: 'profile-featured-tags', 'aria-label': 'Featured hashtags' },
    tags.map((t) => h('li', {}, h('a', { class: 'badge', href: `/tags/${encodeURIComponent(t.name)}`,
      title: `${t.statuses_count} posts`, text: `#${t.name}` }))));
}

function counts(account, base) {
  const stat = (n, label, href, name) => h(href ? 'a' : 'span', { class: `stat stat-${name}`, href },
    h('strong', { text: n.toLocaleString(), dataset: { n: String(n) } }), ` ${label}`);
  return h('p', { class: 'profile-stats' },
    stat(account.statuses_count, account.statuses_count === 1 ? 'post' : 'posts', base, 'posts'),
    stat(account.following_count, 'following', `${base}/following`, 'following'),
    stat(account.followers_count, 'followers', `${base}/followers`, 'followers'));
}

function header(account, relationship, tags) {
  const own = account.id === session.me.id;
  const rel = relationship || {};
  const note = !own && privateNote(account, rel);
  const job = [account.hubbub?.title, account.hubbub?.department].filter(Boolean).join(' · ');
  const base = profilePath(account);
  const hasHeader = account.header && !/\/headers\/original\/missing\.png$/.test(account.header);
  const message = !own && h('button', { class: 'button small', type: 'button',
    onclick: () => openComposer({ visibility: 'direct', text: `@${account.acct} ` }) },
  icon('mail'), 'Message');
  const actions = own
    ? [h('a', { class: 'button small', href: '/web/settings/profile' }, icon('edit'), 'Edit profile'),
      h('button', { class: 'button small', type: 'button', onclick: signOut }, icon('logout'), 'Sign out')]
    : followButton(account, relationship, (rel, verb) => {
      // The count on the page follows what you just did; the server's catches up on reload.
      const followers = card.querySelector('.stat-followers strong');
      const n = Number(followers.dataset.n) + (verb === 'follow' ? (rel.following ? 1 : 0) : -1);
      followers.dataset.n = String(Math.max(0, n));
      followers.textContent = Math.max(0, n).toLocaleString();
    });
  const card = h('section', { class: 'card profile-card' },
    h('div', { class: 'profile-banner' }, hasHeader && h('img', { class: 'profile-header-img',
      src: account.header_static || account.header, alt: '' })),
    h('div', { class: 'profile-top' }, avatar(account, 88), h('div', { class: 'profile-actions' },
      relationship?.followed_by && h('span', { class: 'badge', text: 'Follows you' }), message,
      actions, note && profileMenu(account, rel, note))),
    h('h2', { class: 'profile-name' }, h('bdi', { text: displayName(account) })),
    h('p', { class: 'profile-acct' }, h('span', { text: `@${account.acct}` }),
      networkBadge(account) || h('span', { class: 'badge', text: account.hubbub?.network || '' }),
      account.bot && h('span', { class: 'badge', text: 'Bot' })),
    job && h('p', { class: 'profile-job', text: job }),
    account.note && h('div', { class: 'profile-note' }, richContent(account.note)),
    account.fields?.length ? h('dl', { class: 'profile-fields' }, account.fields.map((f) => [
      h('dt', { text: f.name }), h('dd', {}, richContent(f.value))])) : null,
    featuredTags(tags),
    note && note.text,
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
  const [rel, tags] = await Promise.all([
    relationships([account.id]).then((found) => found.get(account.id)),
    api.get(`/api/v1/accounts/${account.id}/featured_tags`).catch(() => []),
  ]);
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
  body.replaceChildren(header(account, rel, tags), tabs(base, tab), content);
  return { cleanup: () => feed?.destroy() };
}
