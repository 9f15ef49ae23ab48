// Home: the composer and the home timeline, live from the user stream. Kept alive by the router.
import { session } from '../api.js';
import { composer } from '../compose.js';
import { emptyState, h, pageHeader } from '../dom.js';
import { timeline } from '../timeline.js';

export function render(root, ctx) {
  ctx.setTitle('Home');
  const feed = timeline({
    path: '/api/v1/timelines/home',
    stream: 'user',
    label: 'Home timeline',
    // Your own posts land in your home timeline too; show them without waiting for the stream.
    acceptPosted: (status) => status.account.id === session.me.id,
    empty: () => emptyState('Your home timeline is empty',
      'Follow people and hashtags, or join communities, and their posts show up here as they are written.',
      h('a', { class: 'button primary', href: '/web/network/people', text: 'Find people' }),
      h('a', { class: 'button', href: '/web/communities', text: 'Browse communities' })),
  });
  root.append(
    pageHeader('Home'),
    h('div', { class: 'card composer-card' }, composer({})),
    feed.el);
  return { cleanup: feed.destroy, onShow: feed.show, onHide: feed.hide };
}
