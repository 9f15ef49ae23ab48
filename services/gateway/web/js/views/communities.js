// Communities: the ones you are in, invitations, and the ones you can join; create one.
import { api } from '../api.js';
import { rememberCommunity } from '../cache.js';
import { communityCard, createCommunityForm } from '../communities.js';
import { debounce, emptyState, errorState, h, icon, pageHeader, spinner } from '../dom.js';
import { navigate } from '../router.js';
import { openDialog } from '../ui.js';

function section(title, communities) {
  if (!communities.length) return null;
  const id = `section-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return h('section', { 'aria-labelledby': id },
    h('h2', { class: 'section-title', id, text: title }),
    h('ul', { class: 'community-list' }, communities.map(communityCard)));
}

export function render(root, ctx) {
  ctx.setTitle('Communities');
  const create = h('button', { class: 'button small primary', type: 'button' }, icon('plus'), 'New community');
  create.addEventListener('click', () => {
    const dialog = openDialog({ title: 'New community', body: createCommunityForm((made) => {
      dialog.close();
      navigate(`/web/communities/${made.id}`);
    }) });
    dialog.querySelector('input')?.focus();
  });
  const input = h('input', { id: 'community-q', type: 'search', placeholder: 'Find a community' });
  const results = h('div', { class: 'community-sections' }, spinner('Loading communities'));
  root.append(pageHeader('Communities', create),
    h('form', { class: 'search-form', role: 'search', onsubmit: (e) => e.preventDefault() },
      h('label', { for: 'community-q', class: 'sr-only', text: 'Find a community' }), icon('search'), input),
    results);
  let ticket = 0;

  async function load() {
    const mine = ++ticket;
    try {
      const all = await api.get('/api/hubbub/v1/communities', { q: input.value.trim(), limit: 80 },
        { signal: ctx.signal });
      if (mine !== ticket) return;
      all.forEach(rememberCommunity);
      const parts = [
        section('Invitations', all.filter((c) => c.invited && !c.role)),
        section('Your communities', all.filter((c) => c.role)),
        section('Discover', all.filter((c) => !c.role && !c.invited)),
      ].filter(Boolean);
      results.replaceChildren(...(parts.length ? parts : [input.value.trim()
        ? emptyState('No communities match', 'Try another name, or create one.')
        : emptyState('No communities yet', 'Start one for your team, a project or a topic.', create.cloneNode(true))]));
      results.querySelector('.empty .button')?.addEventListener('click', () => create.click());
    } catch (err) {
      if (err.name !== 'AbortError') results.replaceChildren(errorState(err.message, load));
    }
  }
  input.addEventListener('input', debounce(load, 250));
  load();
  return null;
}
