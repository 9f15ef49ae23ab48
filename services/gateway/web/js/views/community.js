// One community: who it is for, join or leave, its posts (live, with a composer for members) and
// its members. External communities and guests are marked; a guest is told what it can see.
import { accountList } from '../accounts.js';
import { api } from '../api.js';
import { rememberCommunity } from '../cache.js';
import { communityBadges, hostedElsewhere, membershipButton } from '../communities.js';
import { composer } from '../compose.js';
import { communityFeedSwitch } from '../feeds.js';
import { emptyState, errorState, h, icon, pageHeader, spinner } from '../dom.js';
import { integrationsPanel, managesIntegrations } from '../integrations.js';
import { refresh } from '../router.js';
import { timeline } from '../timeline.js';

const ROLE_LABEL = { owner: 'Owner', admin: 'Admin', guest: 'Guest' };

function about(c) {
  const host = hostedElsewhere(c) || c.network?.domain;
  const notices = [];
  if (c.role === 'guest') {
    notices.push(h('p', { class: 'notice warn' }, icon('alert'),
      `You are a guest here. You see this community of ${host}, and nothing else of that network.`));
  } else if (c.external) {
    notices.push(h('p', { class: 'notice' }, icon('globe'),
      'External community: people from other companies may be members, marked as guests.'));
  }
  return h('section', { class: 'card community-header' },
    h('div', { class: 'community-header-top' },
      h('span', { class: 'community-icon large' }, icon('users')),
      h('div', { class: 'community-body' },
        h('p', { class: 'community-meta' },
          h('span', { text: `${c.members_count} ${c.members_count === 1 ? 'member' : 'members'}` }),
          h('span', { text: `Hosted by ${host}` }), communityBadges(c)),
        c.description && h('p', { class: 'community-description', text: c.description })),
      membershipButton(c, () => refresh())),
    notices);
}

export async function render(root, ctx) {
  const [id, tab] = ctx.params;
  ctx.setTitle('Community');
  const body = h('div', {}, spinner('Loading community'));
  root.append(pageHeader('Community'), body);
  let c;
  try {
    c = await api.get(`/api/hubbub/v1/communities/${id}`, null, { signal: ctx.signal });
  } catch (err) {
    if (err.name === 'AbortError') return null;
    body.replaceChildren(err.status === 404
      ? emptyState('Community not found', 'It does not exist, or it is not shared with you.')
      : errorState(err.message, () => refresh()));
    return null;
  }
  rememberCommunity(c);
  root.querySelector('h1').textContent = c.name;
  ctx.setTitle(c.name);
  const base = `/web/communities/${c.id}`;
  const tabs = h('nav', { class: 'tabs', 'aria-label': 'Community sections' },
    h('a', { class: 'tab', href: base, 'aria-current': tab ? null : 'page', text: 'Posts' }),
    h('a', { class: 'tab', href: `${base}/members`, 'aria-current': tab === 'members' ? 'page' : null, text: 'Members' }),
    managesIntegrations(c) && h('a', { class: 'tab', href: `${base}/integrations`,
      'aria-current': tab === 'integrations' ? 'page' : null, text: 'Feeds & integrations' }),
    ['owner', 'admin'].includes(c.role)
      && h('a', { class: 'tab', href: `/web/webhooks?community=${c.id}`, text: 'Webhooks' }));
  let feed = null;
  let content;
  if (tab === 'integrations' && managesIntegrations(c)) {
    content = integrationsPanel(c);
  } else if (tab === 'members') {
    content = accountList({
      path: `/api/hubbub/v1/communities/${c.id}/members`,
      label: `Members of ${c.name}`,
      toAccount: (m) => m.account,
      badges: (m) => ROLE_LABEL[m.role] && h('span', {
        class: `badge ${m.role === 'guest' ? 'warn' : 'brand'}`, text: ROLE_LABEL[m.role] }),
      empty: () => emptyState('No members yet'),
    });
  } else if (!c.role) {
    content = emptyState(c.requested ? 'Your request is waiting for approval' : 'Join to see the posts',
      'Posts in a community are for its members.');
  } else {
    feed = timeline({
      path: `/api/hubbub/v1/timelines/community/${c.id}`,
      stream: `community:${c.id}`,
      label: `Posts in ${c.name}`,
      cardOptions: { communityId: c.id },
      acceptPosted: (status) => status.hubbub?.community_id === c.id,
      empty: () => emptyState('No posts yet', `Start the conversation in ${c.name}.`),
    });
    content = h('div', {}, h('div', { class: 'card composer-card' },
      composer({ communityId: c.id, communityName: c.name })), feed.el);
  }
  // (a failed read of the feed switch leaves it out: the community is what the page is for)
  const switchEl = await communityFeedSwitch(c, ctx.signal).catch(() => null);
  body.replaceChildren(about(c), switchEl || '', tabs, content);
  return { cleanup: () => feed?.destroy() };
}
