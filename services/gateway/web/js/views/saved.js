// Bookmarks and favourites: the posts you kept.
import { emptyState, h, pageHeader } from '../dom.js';
import { timeline } from '../timeline.js';

const KINDS = {
  bookmarks: ['Bookmarks', 'No bookmarks yet', 'Bookmark a post to find it here later.'],
  favourites: ['Favourites', 'No favourites yet', 'Posts you favourite show up here.'],
};

export function render(root, ctx) {
  const kind = ctx.params[0];
  const [title, emptyTitle, emptyText] = KINDS[kind];
  ctx.setTitle(title);
  const feed = timeline({ path: `/api/v1/${kind}`, label: title,
    empty: () => emptyState(emptyTitle, emptyText) });
  const other = kind === 'bookmarks' ? 'favourites' : 'bookmarks';
  root.append(
    pageHeader(title, h('a', { class: 'button small', href: `/web/${other}`, text: KINDS[other][0] })),
    feed.el);
  return { cleanup: feed.destroy };
}
