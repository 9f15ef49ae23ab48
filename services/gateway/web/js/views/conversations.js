// Direct messages: your conversations (GET /api/v1/conversations), the latest message first,
// each with who is in it, its last message and a dot while unread; they come live from the
// direct stream. Opening one marks it read and shows its thread (where replies stay direct);
// "New message" starts one, "Remove" takes it off your list only (a new message brings it back).
import { api, session } from '../api.js';
import { openComposer } from '../compose.js';
import {
  avatar, displayName, emptyState, errorState, h, icon, pageHeader, richContent, spinner,
  statusPath, whenNear,
} from '../dom.js';
import { navigate } from '../router.js';
import { timeElement } from '../time.js';
import { emit, on, toast } from '../ui.js';

function preview(status) {
  if (!status) return 'No message you can see';
  const text = status.spoiler_text ? `Content warning: ${status.spoiler_text}`
    : richContent(status.content).textContent.trim();
  return text || 'An empty message';
}

function names(conversation) {
  return conversation.accounts.map(displayName).join(', ') || 'Only you';
}

export async function render(root, ctx) {
  ctx.setTitle('Direct messages');
  const list = h('ul', { class: 'conversations', 'aria-label': 'Conversations' });
  const body = h('div', {}, spinner('Loading your conversations'));
  const more = h('button', { class: 'button load-more', type: 'button', text: 'Load more', hidden: true });
  const footer = h('div', { class: 'feed-footer' }, more);
  const start = () => openComposer({ visibility: 'direct' });
  root.append(pageHeader('Direct messages', h('button', { class: 'button small primary',
    type: 'button', onclick: start }, icon('mail'), 'New message')), body, footer);
  const items = new Map();  // conversation id -> its list item
  let next = null;
  let loading = false;

  async function open(conversation, item) {
    if (conversation.unread) {
      try {
        await api.post(`/api/v1/conversations/${conversation.id}/read`);
        item.replaceWith(conversationItem({ ...conversation, unread: false }));
        emit('conversations-read');
      } catch (err) { toast(err.message, 'error'); }
    }
    if (conversation.last_status) navigate(statusPath(conversation.last_status));
  }

  async function remove(conversation) {
    try {
      await api.del(`/api/v1/conversations/${conversation.id}`);
      items.get(conversation.id)?.remove();
      items.delete(conversation.id);
      emit('conversations-read');
      toast('Removed from your list. A new message brings it back.');
      if (!items.size) showEmpty();
    } catch (err) { toast(err.message, 'error'); }
  }

  function conversationItem(c) {
    const last = c.last_status;
    const who = names(c);
    // Who wrote the last message, where it is not plain: you, or one of several others.
    const from = !last ? null : last.account.id === session.me.id ? 'You'
      : c.accounts.length > 1 ? displayName(last.account) : null;
    const label = `${who}${c.unread ? ', unread' : ''}: ${preview(last)}`;
    const openButton = h('button', { class: 'conversation-open', type: 'button', 'aria-label': label,
      onclick: () => open(c, items.get(c.id)) },
    h('span', { class: 'conversation-avatars', 'aria-hidden': 'true' },
      c.accounts.slice(0, 3).map((a) => avatar(a, 36))),
    h('span', { class: 'conversation-text' },
      h('span', { class: 'conversation-names' }, h('bdi', { text: who }),
        last && h('span', { class: 'conversation-time' }, timeElement(last.created_at))),
      h('span', { class: 'conversation-preview', text: from ? `${from}: ${preview(last)}` : preview(last) })),
    c.unread && h('span', { class: 'unread-dot', 'aria-hidden': 'true' }));
    const item = h('li', { class: `conversation${c.unread ? ' unread' : ''}`, dataset: { id: c.id } },
      openButton,
      h('button', { class: 'icon-button', type: 'button', title: 'Remove from your list',
        'aria-label': `Remove the conversation with ${who} from your list`,
        onclick: () => remove(c) }, icon('x')));
    items.set(c.id, item);
    return item;
  }

  function showEmpty() {
    body.replaceChildren(emptyState('No direct messages yet',
      'Messages only the people you mention can see. Start one, or reply to one you get.',
      h('button', { class: 'button primary', type: 'button', onclick: start, text: 'New message' })));
  }

  async function load(first = false) {
    if (loading || (!first && !next)) return;
    loading = true;
    more.hidden = true;
    try {
      const page = await api.page('/api/v1/conversations', next || {}, { signal: ctx.signal });
      if (first) body.replaceChildren(list);
      list.append(...page.items.filter((c) => !items.has(c.id)).map(conversationItem));
      next = page.items.length ? page.next : null;
      more.hidden = !next;
      if (next) nearby.recheck();
      if (!items.size) showEmpty();
    } catch (err) {
      if (err.name !== 'AbortError') body.replaceChildren(errorState(err.message, () => load(first)));
    } finally {
      loading = false;
    }
  }
  const nearby = whenNear(footer, () => load());
  more.addEventListener('click', () => load());
  await load(true);

  // Live: the conversation moves to the top with its new last message.
  const stop = on('conversation', (c) => {
    items.get(c.id)?.remove();
    if (!list.isConnected) body.replaceChildren(list);
    list.prepend(conversationItem(c));
  });
  return { cleanup: () => { stop(); nearby.stop(); } };
}
