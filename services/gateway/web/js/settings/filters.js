// Content filters (Mastodon's v2 filters): words that put a post behind a warning, blur its
// media, or hide it, in the places you choose, for as long as you choose. The server applies
// them everywhere you read (and to every Mastodon app you use); this screen lists, makes and
// deletes them.
import { api } from '../api.js';
import { h } from '../dom.js';
import { forgetKept } from '../router.js';
import { confirmDialog } from '../ui.js';
import { act, field, statusLine, when } from '../admin/common.js';

const PATH = '/api/v2/filters';
export const CONTEXTS = [
  ['home', 'Home and lists'], ['notifications', 'Notifications'],
  ['public', 'Network, hashtags and communities'], ['thread', 'Conversations'],
  ['account', 'Profiles'],
];
const ACTIONS = [
  ['warn', 'Warn', 'Collapse the post behind "Filtered" and the filter\'s title'],
  ['blur', 'Blur media', 'Show the post, with its media blurred'],
  ['hide', 'Hide', 'Leave the post out altogether'],
];
const EXPIRIES = [['', 'Never'], ['1800', '30 minutes'], ['3600', '1 hour'],
  ['21600', '6 hours'], ['86400', '1 day'], ['604800', '1 week']];

function row(filter, line, reload) {
  const contexts = CONTEXTS.filter(([name]) => filter.context.includes(name)).map(([, l]) => l);
  const action = ACTIONS.find(([name]) => name === filter.filter_action)?.[1] || filter.filter_action;
  const remove = h('button', { class: 'button small danger', type: 'button', text: 'Delete',
    'aria-label': `Delete filter ${filter.title}` });
  remove.addEventListener('click', async () => {
    const sure = await confirmDialog({ title: `Delete "${filter.title}"?`, danger: true,
      text: 'Posts it matches show as they are again.', confirm: 'Delete' });
    if (sure && await act(remove, line, () => api.del(`${PATH}/${filter.id}`),
      `Filter "${filter.title}" deleted.`)) {
      forgetKept();  // the home timeline shows what the filter hid
      reload();
    }
  });
  const expired = filter.expires_at && new Date(filter.expires_at) <= new Date();
  return h('li', { class: 'admin-row filter-row' },
    h('div', {},
      h('strong', { text: filter.title }), ' ',
      h('span', { class: 'badge', text: action }),
      expired && h('span', { class: 'badge warn', text: 'Expired' }),
      h('p', { class: 'muted', text: filter.keywords.map((k) => k.keyword).join(', ') || 'No keywords' }),
      h('p', { class: 'muted', text: `${contexts.join(' · ')}${filter.expires_at
        ? ` · until ${when(filter.expires_at)}` : ''}` })),
    remove);
}

function checkboxes(name, legend, options, checked) {
  return h('fieldset', { class: 'filter-choices' }, h('legend', { text: legend }),
    options.map(([value, label]) => h('label', { class: 'check' },
      h('input', { type: 'checkbox', name, value, checked: checked.includes(value) }), label)));
}

function radios(name, legend, options) {
  return h('fieldset', { class: 'filter-choices' }, h('legend', { text: legend }),
    options.map(([value, label, hint], i) => h('label', { class: 'check', title: hint },
      h('input', { type: 'radio', name, value, checked: i === 0 }), label)));
}

export async function render(root) {
  const line = statusLine();
  const list = h('ul', { class: 'admin-list', 'aria-label': 'Your filters' });
  async function load() {
    const filters = await api.get(PATH);
    list.replaceChildren(...filters.map((f) => row(f, line, load)));
    if (!filters.length) list.append(h('li', { class: 'muted', text: 'No filters yet.' }));
  }
  const expiry = h('select', { id: 'filter-expires', name: 'filter-expires' },
    EXPIRIES.map(([value, label]) => h('option', { value, text: label })));
  const form = h('form', { class: 'admin-form', 'aria-label': 'New filter' },
    field('filter-title', 'Title', { required: true, maxlength: 256, placeholder: 'Spoilers' }),
    h('div', { class: 'field' },
      h('label', { for: 'filter-keywords', text: 'Keywords' }),
      h('textarea', { id: 'filter-keywords', name: 'filter-keywords', rows: 3,
        placeholder: 'One per line' }),
      h('p', { class: 'field-hint', text: 'Matched as written, whatever the case.' })),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'filter-whole-word',
      checked: true }), ' Whole words only'),
    checkboxes('filter-context', 'Where', CONTEXTS, ['home', 'notifications', 'public', 'thread']),
    radios('filter-action', 'What it does', ACTIONS),
    h('div', { class: 'field' }, h('label', { for: 'filter-expires', text: 'Expires' }), expiry),
    h('button', { class: 'button primary', type: 'submit', text: 'Add filter' }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const elements = form.elements;
    const whole = elements.namedItem('filter-whole-word').checked;
    const keywords = elements.namedItem('filter-keywords').value.split('\n')
      .map((k) => k.trim()).filter(Boolean);
    const body = {
      title: elements.namedItem('filter-title').value.trim(),
      context: [...form.querySelectorAll('[name=filter-context]:checked')].map((c) => c.value),
      filter_action: form.querySelector('[name=filter-action]:checked').value,
      expires_in: expiry.value ? Number(expiry.value) : null,
      keywords_attributes: keywords.map((keyword) => ({ keyword, whole_word: whole })),
    };
    if (await act(form.querySelector('[type=submit]'), line, () => api.post(PATH, body),
      `Filter "${body.title}" added.`)) {
      forgetKept();  // the home timeline shows it applied
      form.reset();
      load();
    }
  });
  root.append(form, line, list);
  await load().catch((err) => { line.textContent = err.message; });
}
