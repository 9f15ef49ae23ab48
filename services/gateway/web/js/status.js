// A status as a card: author, time, content warning, content, poll, attachments (media.js), and
// what you can do with it.
// Cards register themselves, so a change (favourite, edit, vote, delete) updates every copy.
import { api, session } from './api.js';
import { community as communityOf, seenTags } from './cache.js';
import { openComposer } from './compose.js';
import {
  append, avatar, displayName, h, icon, nextId, profilePath, richContent, statusPath,
} from './dom.js';
import { mediaGallery } from './media.js';
import { pollView } from './poll.js';
import { navigate } from './router.js';
import { fullTime, timeElement } from './time.js';
import { confirmDialog, emit, menuButton, on, toast } from './ui.js';

export const VISIBILITY = {
  public: { label: 'Public', icon: 'globe' },
  unlisted: { label: 'Quiet public', icon: 'unlock' },
  private: { label: 'Followers only', icon: 'lock' },
  direct: { label: 'Mentioned people only', icon: 'mail' },
};

const cards = new Set();  // WeakRefs to every card on (or kept off) the page

function eachCard(fn) {
  // A copy: fn may replace cards, and a Set's iteration would visit the new ones too.
  for (const ref of [...cards]) {
    const card = ref.deref();
    if (!card) cards.delete(ref);
    else fn(card);
  }
}

on('status', (updated) => eachCard((card) => {
  const { status, opts, expanded, mediaShown } = card.hubbub;
  const keep = { ...opts, expanded, mediaShown };  // what was opened stays open
  let fresh = null;
  if (status.id === updated.id) fresh = statusCard(updated, keep);
  else if (status.reblog?.id === updated.id) fresh = statusCard({ ...status, reblog: updated }, keep);
  if (!fresh) return;
  // Keyboard users keep their place: the same button (or the card) has focus afterwards.
  const active = card.contains(document.activeElement) ? document.activeElement : null;
  const action = [...(active?.classList || [])].find((c) => c.startsWith('action-'));
  card.replaceWith(fresh);
  if (active) (action && fresh.querySelector(`.${action}`) || fresh).focus({ preventScroll: true });
}));

on('status-deleted', (id) => eachCard((card) => {
  const { status } = card.hubbub;
  if (status.id === id || status.reblog?.id === id) card.remove();
}));

export function isOwn(status) {
  return status.account.id === session.me?.id;
}

function otherNetwork(account) {
  const theirs = account.hubbub?.network;
  return theirs && theirs !== session.me?.hubbub?.network ? theirs : null;
}

export function networkBadge(account) {
  const domain = otherNetwork(account);
  return domain && h('span', { class: 'badge warn', title: `Guest from ${domain}`, text: domain });
}

function header(shown, opts) {
  const nameId = nextId('author');
  const visibility = VISIBILITY[shown.visibility] || VISIBILITY.public;
  const communityId = shown.hubbub?.community_id;
  let chip = null;
  if (communityId && opts.communityId !== communityId) {
    const name = h('span', { text: 'community' });
    communityOf(communityId).then((c) => { if (c) name.textContent = c.name; });
    chip = h('a', { class: 'badge brand community-chip', href: `/web/communities/${communityId}` },
      icon('users'), name);
  }
  return h('header', { class: 'status-header' },
    h('a', { class: 'status-author', href: profilePath(shown.account), id: nameId },
      h('bdi', { class: 'display-name', text: displayName(shown.account) }),
      h('span', { class: 'acct', text: `@${shown.account.acct}` })),
    networkBadge(shown.account),
    chip,
    h('span', { class: 'status-meta' },
      shown.visibility !== 'public' && icon(visibility.icon, visibility.label),
      h('a', { class: 'status-time', href: statusPath(shown) }, timeElement(shown.created_at)),
      shown.edited_at && h('span', { class: 'edited', title: `Edited ${fullTime(new Date(shown.edited_at))}`, text: 'edited' })));
}

function body(shown, card, expanded) {
  const contentId = nextId('content');
  const content = h('div', { class: 'status-content', id: contentId, lang: shown.language || null },
    richContent(shown.content));
  for (const tag of shown.tags || []) seenTags.add(tag.name);
  const poll = shown.poll ? pollView(shown) : null;
  if (!shown.spoiler_text) return [content, poll];
  // Behind a content warning: the text and the poll show only when asked.
  const toggle = h('button', { class: 'button small', type: 'button', 'aria-controls': contentId });
  const show = (open) => {
    content.hidden = !open;
    if (poll) poll.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? 'Show less' : 'Show more';
    card.hubbub.expanded = open;
  };
  toggle.addEventListener('click', () => show(content.hidden));
  show(Boolean(expanded));
  return [h('div', { class: 'spoiler' }, icon('alert'),
    h('p', { class: 'spoiler-text', text: shown.spoiler_text }), toggle), content, poll];
}

/** Attachments; a sensitive post's (and one a blur filter matched) covered until asked for. */
function media(shown, card, mediaShown, blurred) {
  card.hubbub.mediaShown = Boolean(mediaShown);
  return mediaGallery(shown.media_attachments, {
    sensitive: shown.sensitive || blurred.length > 0,
    reason: blurred.length ? `Filtered: ${titlesOf(blurred)}`
      : shown.spoiler_text ? 'Media behind a content warning' : 'Sensitive content',
    shown: mediaShown,
    onToggle: (open) => { card.hubbub.mediaShown = open; },
  });
}

/** A link's preview card (title, description, site), when the post has no media or poll to
 * show instead, and not behind a content warning. No picture: the server gives none, since a
 * reader's browser fetching a third-party image would tell that site who reads what. */
function linkCard(shown) {
  const card = shown.card;
  if (!card || !card.url || shown.spoiler_text || shown.poll
      || (shown.media_attachments || []).length) return null;
  let host = '';
  try { host = new URL(card.url).hostname; } catch { return null; }
  return h('a', { class: 'link-card', href: card.url, target: '_blank',
    rel: 'noopener noreferrer nofollow' },
  h('span', { class: 'link-card-site', text: card.provider_name || host }),
  card.title && h('strong', { class: 'link-card-title', text: card.title }),
  card.description && h('span', { class: 'link-card-description', text: card.description }));
}

function countLabel(n) {
  return n > 0 ? h('span', { class: 'count', text: String(n) }) : null;
}

async function toggle(shown, verb, undo, field, countField) {
  const on = !shown[field];
  const optimistic = { ...shown, [field]: on };
  if (countField) optimistic[countField] = Math.max(0, (shown[countField] || 0) + (on ? 1 : -1));
  emit('status', optimistic);
  try {
    const result = await api.post(`/api/v1/statuses/${shown.id}/${on ? verb : undo}`);
    emit('status', result.reblog && verb === 'reblog' ? result.reblog : result);
  } catch (err) {
    emit('status', shown);
    toast(err.message, 'error');
  }
}

function actionButton(name, label, pressed, count, onclick, extra = {}) {
  return h('button', {
    class: `action action-${name}${pressed ? ' active' : ''}`, type: 'button',
    'aria-label': label, 'aria-pressed': pressed == null ? null : String(pressed),
    title: label, onclick, ...extra,
  }, icon(name === 'favourite' ? 'star' : name), countLabel(count));
}

async function remove(shown) {
  const sure = await confirmDialog({ title: 'Delete post?', text: 'This cannot be undone.',
    confirm: 'Delete', danger: true });
  if (!sure) return;
  try {
    await api.del(`/api/v1/statuses/${shown.id}`);
    emit('status-deleted', shown.id);
    toast('Post deleted.');
  } catch (err) {
    toast(err.message, 'error');
  }
}

function actions(shown, opts) {
  const boostable = shown.visibility === 'public' || shown.visibility === 'unlisted';
  const reply = () => (opts.onReply ? opts.onReply(shown) : openComposer({ replyTo: shown }));
  const menu = menuButton('More actions', [
    { label: 'Open thread', icon: 'reply', action: () => navigate(statusPath(shown)) },
    { label: 'Copy link', icon: 'link', action: () => navigator.clipboard?.writeText(shown.url)
      .then(() => toast('Link copied.'), () => toast(shown.url)) },
    isOwn(shown) && { label: 'Edit', icon: 'edit', action: () => openComposer({ edit: shown }) },
    isOwn(shown) && { label: 'Delete', icon: 'trash', danger: true, action: () => remove(shown) },
  ]);
  return h('footer', { class: 'status-actions', role: 'group', 'aria-label': 'Post actions' },
    actionButton('reply', 'Reply', null, shown.replies_count, reply),
    actionButton('boost', boostable ? (shown.reblogged ? 'Undo boost' : 'Boost') : 'Cannot boost this post',
      shown.reblogged, shown.reblogs_count,
      () => toggle(shown, 'reblog', 'unreblog', 'reblogged', 'reblogs_count'),
      { disabled: !boostable && !shown.reblogged }),
    actionButton('favourite', shown.favourited ? 'Remove favourite' : 'Favourite', shown.favourited,
      shown.favourites_count,
      () => toggle(shown, 'favourite', 'unfavourite', 'favourited', 'favourites_count')),
    actionButton('bookmark', shown.bookmarked ? 'Remove bookmark' : 'Bookmark', shown.bookmarked, 0,
      () => toggle(shown, 'bookmark', 'unbookmark', 'bookmarked')),
    menu);
}

function replyContext(shown, opts) {
  if (!shown.in_reply_to_id || opts.inThread) return null;
  const to = shown.mentions?.find((m) => m.id === shown.in_reply_to_account_id);
  const who = shown.in_reply_to_account_id === shown.account.id ? 'themselves'
    : to ? `@${to.acct}` : 'a post';
  return h('p', { class: 'status-context' }, icon('reply'), `Replying to ${who}`);
}

/** The reader's filters that matched the status (the server puts them on a boost and its
 * post alike, and leaves out what a hide filter hides, but for a post opened on its own). */
export function filterResults(status) {
  const shown = status.reblog || status;
  return (status.filtered?.length ? status.filtered : shown.filtered) || [];
}

const titlesOf = (results) => [...new Set(results.map((r) => r.filter.title))].join(', ');

/** A post a warn (or hide) filter matched: collapsed, with the filters' titles and a button
 * that shows it anyway. */
function filteredCard(status, opts, results) {
  const card = h('article', { class: 'status filtered-status', tabindex: '0',
    dataset: { id: status.id } });
  card.hubbub = { status, opts };
  cards.add(new WeakRef(card));
  const show = h('button', { class: 'button small', type: 'button', text: 'Show anyway',
    onclick: () => {
      const full = statusCard(status, { ...opts, unfiltered: true });
      card.replaceWith(full);
      full.focus({ preventScroll: true });
    } });
  append(card, h('p', { class: 'filtered-line' }, icon('filter'),
    h('span', { text: `Filtered: ${titlesOf(results)}` }), show));
  return card;
}

/** opts: focused (the thread's own status), inThread, communityId (hide its chip), onReply,
 * unfiltered (shown although a filter matched it). */
export function statusCard(status, opts = {}) {
  const results = opts.unfiltered ? [] : filterResults(status);
  const warned = results.filter((r) => r.filter.filter_action !== 'blur');
  if (warned.length) return filteredCard(status, opts, warned);
  const blurred = filterResults(status).filter((r) => r.filter.filter_action === 'blur');
  const shown = status.reblog || status;
  const card = h('article', {
    class: `status${opts.focused ? ' focused' : ''}${shown.visibility === 'direct' ? ' direct' : ''}${
      blurred.length ? ' blurred' : ''}`,
    tabindex: '0', dataset: { id: status.id },
  });
  card.hubbub = { status, opts };
  cards.add(new WeakRef(card));
  const head = header(shown, opts);
  card.setAttribute('aria-labelledby', head.querySelector('.status-author').id);
  append(card, [
    status.reblog && h('p', { class: 'status-context boosted' }, icon('boost'),
      h('a', { href: profilePath(status.account) },
        h('bdi', { text: displayName(status.account) })), ' boosted'),
    replyContext(shown, opts),
    blurred.length > 0 && h('p', { class: 'status-context', text:
      `Media blurred by filter: ${titlesOf(blurred)}` }),
    h('div', { class: 'status-grid' },
      h('a', { class: 'avatar-link', href: profilePath(shown.account), tabindex: '-1',
        'aria-hidden': 'true' }, avatar(shown.account, opts.focused ? 52 : 46)),
      h('div', { class: 'status-main' },
        head,
        body(shown, card, opts.expanded),
        media(shown, card, opts.mediaShown, blurred),
        linkCard(shown),
        opts.focused && h('p', { class: 'status-full-time', text: fullTime(new Date(shown.created_at)) }),
        actions(shown, opts)))]);
  card.addEventListener('click', (event) => {
    if (opts.focused || event.target.closest('a, button, input, label, summary, .menu, .status-media')) return;
    if (window.getSelection()?.toString()) return;
    navigate(statusPath(shown));
  });
  card.addEventListener('keydown', (event) => {
    if (event.target !== card) return;
    if (event.key === 'Enter' || event.key === 'o') { event.preventDefault(); navigate(statusPath(shown)); }
  });
  return card;
}
