// Public feeds (Atom, RSS, JSON Feed) that people outside the network follow in feed readers:
// one switch, for your own account (settings) or an external community (its owners and admins).
// Off by default; the server says what may be switched (GET) and refuses the rest (PUT).
import { api } from './api.js';
import { h, nextId } from './dom.js';
import { act, statusLine } from './admin/common.js';

const FORMATS = [['atom', 'Atom'], ['rss', 'RSS'], ['json', 'JSON Feed']];

function links(feeds) {
  if (!feeds) return null;
  return h('ul', { class: 'feed-links' },
    FORMATS.map(([fmt, label]) => h('li', {}, h('a', { href: feeds[fmt], text: label }),
      ' ', h('code', { text: feeds[fmt] }))));
}

/** A switch for the feed at `path` (GET answers { public_feed, feeds }); `label` names what. */
export function feedSwitch(path, label, hint, initial) {
  const id = nextId('public-feed');
  const hintId = nextId('hint');
  const line = statusLine();
  const box = h('input', { id, type: 'checkbox', 'aria-describedby': hintId });
  const shown = h('div', {});
  const paint = (setting) => {
    box.checked = Boolean(setting.public_feed);
    shown.replaceChildren(links(setting.feeds) || '');
  };
  box.addEventListener('change', async () => {
    const wanted = box.checked;
    const done = await act(box, line, async () => {
      paint(await api.put(path, { public_feed: wanted }));
    }, wanted ? 'Public feeds are on.' : 'Public feeds are off.');
    if (!done) box.checked = !wanted;
  });
  paint(initial);
  return h('div', { class: 'feed-switch' },
    h('label', { class: 'check', for: id }, box, label),
    h('p', { id: hintId, class: 'field-hint', text: hint }), shown, line);
}

/** The switch for an external community, for its owners and admins; null for anyone else. */
export async function communityFeedSwitch(community, signal) {
  if (!community.external || !['owner', 'admin'].includes(community.role)) return null;
  const path = `/api/hubbub/v1/communities/${community.id}/feed`;
  const setting = await api.get(path, null, { signal });
  return h('section', { class: 'card', 'aria-label': 'Public feeds' },
    feedSwitch(path, 'Public feeds of this community',
      'Anyone with the link can follow the public posts of this community in a feed reader, '
      + 'without signing in. Unlisted and private posts never appear.', setting));
}
