// Search people (accounts/search) and hashtags (tags/:name and the ones you follow).
import { accountRow, relationships } from '../accounts.js';
import { api } from '../api.js';
import { tagsFollowed } from '../cache.js';
import { debounce, emptyState, errorState, h, icon, pageHeader, spinner } from '../dom.js';

const TAG = /^[\p{L}\p{N}_]{1,100}$/u;

function tagRow(tag) {
  return h('li', { class: 'account-row tag-row' },
    h('a', { class: 'account-link', href: `/tags/${encodeURIComponent(tag.name)}` },
      h('span', { class: 'tag-icon' }, icon('hash')),
      h('span', { class: 'account-names' },
        h('span', { class: 'display-name', text: `#${tag.name}` }),
        h('span', { class: 'acct', text: tag.following ? 'You follow this hashtag' : 'Hashtag' }))));
}

async function findTags(query) {
  const name = query.replace(/^#/, '').toLowerCase();
  if (!TAG.test(name)) return [];
  const [exact, followed] = await Promise.all([
    api.get(`/api/v1/tags/${encodeURIComponent(name)}`).catch(() => null),
    tagsFollowed(),
  ]);
  const others = followed.filter((t) => t.name.includes(name) && t.name !== name);
  return [exact, ...others].filter(Boolean).slice(0, 6);
}

async function findPeople(query) {
  if (query.startsWith('#')) return [];
  return api.get('/api/v1/accounts/search', { q: query, limit: 20 });
}

export function render(root, ctx) {
  ctx.setTitle('Search');
  const input = h('input', { id: 'search-q', type: 'search', name: 'q', autocomplete: 'off',
    value: ctx.query.get('q') || '', placeholder: 'Names, @usernames or #hashtags' });
  const results = h('div', { class: 'search-results', 'aria-live': 'polite' });
  const form = h('form', { class: 'search-form', role: 'search' },
    h('label', { for: 'search-q', class: 'sr-only', text: 'Search people and hashtags' }),
    icon('search'), input);
  root.append(pageHeader('Search'), form, results);
  let ticket = 0;

  async function run() {
    const query = input.value.trim();
    history.replaceState(history.state, '', query ? `/web/search?q=${encodeURIComponent(query)}` : '/web/search');
    const mine = ++ticket;
    if (!query) {
      results.replaceChildren(emptyState('Find people and topics',
        'Search by name or @username, or look up a #hashtag to follow.'));
      return;
    }
    results.replaceChildren(spinner('Searching'));
    try {
      const [tags, people] = await Promise.all([findTags(query), findPeople(query)]);
      const rels = await relationships(people.map((a) => a.id));
      if (mine !== ticket) return;
      const sections = [];
      if (tags.length) {
        sections.push(h('section', { 'aria-labelledby': 'tags-title' },
          h('h2', { class: 'section-title', id: 'tags-title', text: 'Hashtags' }),
          h('ul', { class: 'account-list' }, tags.map(tagRow))));
      }
      if (people.length) {
        sections.push(h('section', { 'aria-labelledby': 'people-title' },
          h('h2', { class: 'section-title', id: 'people-title', text: 'People' }),
          h('ul', { class: 'account-list' }, people.map((a) => accountRow(a, { relationship: rels.get(a.id) })))));
      }
      results.replaceChildren(...(sections.length ? sections
        : [emptyState('Nothing found', `No people or hashtags match “${query}”.`)]));
    } catch (err) {
      if (mine === ticket) results.replaceChildren(errorState(err.message, run));
    }
  }

  const later = debounce(run, 250);
  input.addEventListener('input', later);
  form.addEventListener('submit', (event) => { event.preventDefault(); run(); });
  run();
  queueMicrotask(() => input.focus());
  return null;
}
