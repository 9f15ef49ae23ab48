// Suggestions while typing @someone or #topic in a textarea, as an ARIA combobox: arrows move,
// Enter or Tab picks, Escape closes. People come from accounts/search; hashtags from the tags you
// follow and the ones seen on this page.
import { api } from './api.js';
import { seenTags, tagsFollowed } from './cache.js';
import { avatar, debounce, displayName, h, nextId } from './dom.js';

const TOKEN = /(?:^|[^\p{L}\p{N}_@#/])([@#])([\p{L}\p{N}_]{1,30})$/u;

async function suggestions(kind, query) {
  if (kind === '@') {
    const accounts = await api.get('/api/v1/accounts/search', { q: query, limit: 6 });
    return accounts.map((a) => ({
      value: `@${a.acct}`, label: displayName(a), detail: `@${a.acct}`, account: a,
    }));
  }
  const wanted = query.toLowerCase();
  const followed = (await tagsFollowed()).map((t) => t.name);
  const names = [...new Set([...followed, ...seenTags])]
    .filter((name) => name.startsWith(wanted) && name !== wanted).slice(0, 6);
  return names.map((name) => ({ value: `#${name}`, label: `#${name}`,
    detail: followed.includes(name) ? 'Following' : '' }));
}

export function attachAutocomplete(textarea) {
  const listId = nextId('suggestions');
  const list = h('ul', { class: 'suggestions', role: 'listbox', id: listId, hidden: true,
    'aria-label': 'Suggestions' });
  textarea.setAttribute('role', 'combobox');
  textarea.setAttribute('aria-autocomplete', 'list');
  textarea.setAttribute('aria-expanded', 'false');
  textarea.setAttribute('aria-controls', listId);
  let items = [];
  let active = -1;
  let token = null;
  let asked = 0;

  function close() {
    list.hidden = true;
    list.replaceChildren();
    items = [];
    active = -1;
    textarea.setAttribute('aria-expanded', 'false');
    textarea.removeAttribute('aria-activedescendant');
  }

  function highlight(index) {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === index)));
    const current = list.children[index];
    if (current) textarea.setAttribute('aria-activedescendant', current.id);
  }

  function pick(index) {
    const item = items[index];
    if (!item || !token) return;
    const before = textarea.value.slice(0, token.start);
    const after = textarea.value.slice(textarea.selectionStart);
    const insert = `${item.value} `;
    textarea.value = before + insert + after.replace(/^\S*/, '');
    const caret = before.length + insert.length;
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
    close();
    textarea.focus();
  }

  function show(found) {
    items = found;
    if (!found.length) { close(); return; }
    list.replaceChildren(...found.map((item, i) => {
      const li = h('li', { role: 'option', id: `${listId}-${i}`, 'aria-selected': 'false' },
        item.account ? avatar(item.account, 28) : null,
        h('span', { class: 'suggestion-label', text: item.label }),
        item.detail && h('span', { class: 'suggestion-detail', text: item.detail }));
      li.addEventListener('mousedown', (event) => { event.preventDefault(); pick(i); });
      return li;
    }));
    list.hidden = false;
    textarea.setAttribute('aria-expanded', 'true');
    highlight(0);
  }

  const lookup = debounce(async () => {
    const text = textarea.value.slice(0, textarea.selectionStart);
    const match = text.match(TOKEN);
    if (!match) { token = null; close(); return; }
    token = { kind: match[1], query: match[2], start: text.length - match[2].length - 1 };
    const ticket = ++asked;
    try {
      const found = await suggestions(token.kind, token.query);
      if (ticket === asked) show(found);
    } catch {
      close();
    }
  }, 150);

  textarea.addEventListener('input', lookup);
  textarea.addEventListener('blur', () => setTimeout(close, 100));
  textarea.addEventListener('keydown', (event) => {
    if (list.hidden) return;
    if (event.key === 'ArrowDown') highlight((active + 1) % items.length);
    else if (event.key === 'ArrowUp') highlight((active - 1 + items.length) % items.length);
    else if (event.key === 'Enter' || event.key === 'Tab') pick(active);
    else if (event.key === 'Escape') close();
    else return;
    event.preventDefault();
    event.stopPropagation();
  });
  return list;
}
