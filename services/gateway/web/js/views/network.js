// Your network (your company): everyone's public posts, live, and the people in it.
import { accountList } from '../accounts.js';
import { api, session } from '../api.js';
import { emptyState, h, pageHeader } from '../dom.js';
import { timeline } from '../timeline.js';

export function render(root, ctx) {
  const people = ctx.params[0] === 'people';
  const domain = session.me.hubbub?.network || 'Your network';
  ctx.setTitle(people ? `People at ${domain}` : domain);
  const header = pageHeader(domain);
  const about = h('p', { class: 'page-intro', text: `Public posts from everyone at ${domain}.` });
  api.get('/api/hubbub/v1/network').then((n) => {
    header.querySelector('h1').textContent = n.name || n.domain;
    about.textContent = `${n.members_count.toLocaleString()} ${n.members_count === 1 ? 'member' : 'members'} · ${n.domain}`;
  }, () => {});
  const tabs = h('nav', { class: 'tabs', 'aria-label': 'Network sections' },
    h('a', { class: 'tab', href: '/web/network', 'aria-current': people ? null : 'page', text: 'Posts' }),
    h('a', { class: 'tab', href: '/web/network/people', 'aria-current': people ? 'page' : null, text: 'People' }));
  let feed = null;
  let content;
  if (people) {
    content = accountList({ path: '/api/hubbub/v1/network/members', label: 'People in your network',
      empty: () => emptyState('Just you so far', 'Invite colleagues to join.') });
  } else {
    feed = timeline({
      path: '/api/v1/timelines/public',
      query: { local: true },
      stream: 'public:local',
      label: `Public posts at ${domain}`,
      acceptPosted: (status) => status.visibility === 'public' && !status.hubbub?.community_id,
      empty: () => emptyState('No public posts yet', 'Be the first to say hello.'),
    });
    content = feed.el;
  }
  root.append(header, about, tabs, content);
  return { cleanup: () => feed?.destroy() };
}
