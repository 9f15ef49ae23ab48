// "Feeds & integrations" of a community, for its owner and admins: outside feeds (Atom, RSS,
// JSON Feed) the community's bot posts from, with each feed's last error; and incoming
// webhooks, whose secret URL is shown once, when made. Self-contained: the community page
// mounts it as a tab (views/community.js), nothing else knows it.
import { api } from './api.js';
import { emptyState, errorState, h, icon, nextId, spinner } from './dom.js';
import { timeElement } from './time.js';
import { confirmDialog, toast } from './ui.js';

const MANAGERS = ['owner', 'admin'];

export function managesIntegrations(community) {
  return MANAGERS.includes(community.role);
}

function base(community) {
  return `/api/hubbub/v1/communities/${community.id}`;
}

function when(label, iso) {
  return iso ? h('span', {}, `${label} `, timeElement(iso)) : null;
}

function feedItem(community, feed, reload) {
  const remove = h('button', { type: 'button', class: 'button small danger',
    'aria-label': `Remove feed ${feed.title || feed.url}`, text: 'Remove' });
  remove.addEventListener('click', async () => {
    const ok = await confirmDialog({ title: 'Remove this feed?', confirm: 'Remove', danger: true,
      text: 'Its posts stay; nothing new is posted from it.' });
    if (!ok) return;
    remove.disabled = true;
    try {
      await api.del(`${base(community)}/feeds/${feed.id}`);
      toast('Feed removed.');
      reload();
    } catch (err) {
      toast(err.message, 'error');
      remove.disabled = false;
    }
  });
  return h('li', { class: 'integration-item' },
    h('div', { class: 'integration-body' },
      h('p', { class: 'integration-title', text: feed.title || feed.url }),
      feed.title && h('p', { class: 'field-hint', text: feed.url }),
      h('p', { class: 'field-hint' },
        when('Last checked', feed.last_polled_at) || 'Not checked yet', ' · ',
        `${feed.items_posted} ${feed.items_posted === 1 ? 'post' : 'posts'}`, ' · ',
        when('next check', feed.next_poll_at)),
      feed.last_error && h('p', { class: 'notice warn', role: 'status' }, icon('alert'),
        `Last error: ${feed.last_error}`)),
    remove);
}

function hookItem(community, hook, reload) {
  const remove = h('button', { type: 'button', class: 'button small danger',
    'aria-label': `Delete webhook ${hook.name || hook.token_prefix}`, text: 'Delete' });
  remove.addEventListener('click', async () => {
    const ok = await confirmDialog({ title: 'Delete this webhook?', confirm: 'Delete',
      danger: true, text: 'Tools posting to its URL will be refused from now on.' });
    if (!ok) return;
    remove.disabled = true;
    try {
      await api.del(`${base(community)}/incoming_webhooks/${hook.id}`);
      toast('Webhook deleted.');
      reload();
    } catch (err) {
      toast(err.message, 'error');
      remove.disabled = false;
    }
  });
  return h('li', { class: 'integration-item' },
    h('div', { class: 'integration-body' },
      h('p', { class: 'integration-title', text: hook.name || 'Incoming webhook' }),
      h('p', { class: 'field-hint' }, `…/hooks/${hook.token_prefix}…`, ' · ',
        when('last used', hook.last_used_at) || 'never used')),
    remove);
}

function addForm({ label, hint, name, type, placeholder, submit, onSubmit }) {
  const id = nextId(name);
  const input = h('input', { id, name, type, placeholder, required: type === 'url',
    maxlength: type === 'url' ? 2000 : 100 });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', class: 'button primary small', text: submit });
  const form = h('form', { class: 'integration-form' },
    h('div', { class: 'field' }, h('label', { for: id, text: label }), input,
      hint && h('p', { class: 'field-hint', text: hint })),
    error, button);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    error.hidden = true;
    try {
      await onSubmit(input.value.trim());
      input.value = '';
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function shownOnce(hook) {
  const id = nextId('hook-url');
  const field = h('input', { id, type: 'text', readonly: true, value: hook.url,
    class: 'integration-secret' });
  const copy = h('button', { type: 'button', class: 'button small', text: 'Copy' });
  copy.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(hook.url);
      toast('Copied.');
    } catch {
      field.select();
    }
  });
  return h('div', { class: 'notice', role: 'status' },
    h('label', { for: id, text: 'Your new webhook URL. Copy it now: it is not shown again.' }),
    h('div', { class: 'integration-secret-row' }, field, copy),
    h('p', { class: 'field-hint' },
      'POST JSON like {"text": "Build passed"} to it, from your CI or any tool.'));
}

/** The panel: two sections, each a list and a form that adds to it. */
export function integrationsPanel(community) {
  // Each list's box holds the list, or what stands for it (loading, empty, an error).
  const feeds = h('div', {});
  const hooks = h('div', {});
  const secret = h('div', {});

  async function load(box, label, path, item, empty) {
    const again = () => load(box, label, path, item, empty);
    box.replaceChildren(spinner('Loading'));
    try {
      const found = await api.get(path);
      box.replaceChildren(found.length
        ? h('ul', { class: 'integration-list', 'aria-label': label },
          found.map((x) => item(community, x, again)))
        : emptyState(empty));
    } catch (err) {
      box.replaceChildren(errorState(err.message, again));
    }
  }
  const loadFeeds = () => load(feeds, 'Feeds', `${base(community)}/feeds`, feedItem,
    'No feeds yet');
  const loadHooks = () => load(hooks, 'Incoming webhooks', `${base(community)}/incoming_webhooks`,
    hookItem, 'No incoming webhooks yet');

  const feedForm = addForm({
    label: 'Feed URL', name: 'feed-url', type: 'url', placeholder: 'https://example.com/feed.xml',
    hint: 'Atom, RSS or JSON Feed. New entries are posted here by the community bot.',
    submit: 'Add feed',
    onSubmit: async (url) => {
      await api.post(`${base(community)}/feeds`, { url });
      toast('Feed added. Its newest entries appear shortly.');
      loadFeeds();
    },
  });
  const hookForm = addForm({
    label: 'Webhook name', name: 'hook-name', type: 'text', placeholder: 'CI builds',
    hint: 'A name to tell it apart later.', submit: 'Create webhook',
    onSubmit: async (name) => {
      const hook = await api.post(`${base(community)}/incoming_webhooks`, { name });
      secret.replaceChildren(shownOnce(hook));
      loadHooks();
    },
  });
  loadFeeds();
  loadHooks();
  return h('section', { class: 'card integrations', 'aria-labelledby': 'integrations-title' },
    h('h2', { id: 'integrations-title', text: 'Feeds & integrations' }),
    h('h3', { text: 'Feeds' }), feeds, feedForm,
    h('h3', { text: 'Incoming webhooks' }), secret, hooks, hookForm);
}
