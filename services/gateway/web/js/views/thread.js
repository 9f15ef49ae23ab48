// A thread: the posts it answers, the post itself, a reply box, and the replies (indented by
// depth), with new replies added live.
import { api } from '../api.js';
import { composer } from '../compose.js';
import { emptyState, errorState, feedOf, h, icon, pageHeader, spinner } from '../dom.js';
import { statusCard } from '../status.js';
import { watch } from '../stream.js';
import { on } from '../ui.js';

const MAX_DEPTH = 4;

export async function render(root, ctx) {
  const [, id] = ctx.params;
  ctx.setTitle('Thread');
  const back = h('button', { class: 'icon-button', type: 'button', 'aria-label': 'Back',
    onclick: () => history.back() }, icon('back'));
  const body = h('div', { class: 'thread' }, spinner('Loading the thread'));
  const header = pageHeader('Thread');
  header.prepend(back);
  root.append(header, body);

  let status;
  let context;
  try {
    [status, context] = await Promise.all([
      api.get(`/api/v1/statuses/${id}`, null, { signal: ctx.signal }),
      api.get(`/api/v1/statuses/${id}/context`, null, { signal: ctx.signal }),
    ]);
  } catch (err) {
    if (err.name === 'AbortError') return null;
    body.replaceChildren(err.status === 404
      ? emptyState('This post is not available', 'It was deleted, or it is not shared with you.')
      : errorState(err.message, () => location.reload()));
    return null;
  }
  ctx.setTitle(`${status.account.display_name || status.account.username}: thread`);
  const depth = new Map([[status.id, 0]]);
  const replies = feedOf(h('div', { class: 'replies', 'aria-label': 'Replies' }));

  function addReply(reply) {
    if (depth.has(reply.id) || !depth.has(reply.in_reply_to_id)) return;
    const level = Math.min(MAX_DEPTH, depth.get(reply.in_reply_to_id) + 1);
    depth.set(reply.id, level);
    const card = statusCard(reply, { inThread: true });
    card.classList.add(`depth-${level}`);
    // After its parent's last descendant, so the conversation reads in order.
    const cards = [...replies.children];
    const parentIndex = cards.findIndex((c) => c.hubbub?.status.id === reply.in_reply_to_id);
    let at = parentIndex + 1;
    while (at > 0 && at < cards.length
      && depth.get(cards[at].hubbub.status.id) > depth.get(reply.in_reply_to_id)) at += 1;
    if (parentIndex === -1 || at >= cards.length) replies.append(card);
    else cards[at].before(card);
  }

  const focused = statusCard(status, { focused: true, inThread: true });
  const replyBox = composer({ replyTo: status, compact: true });
  body.replaceChildren(
    h('div', { class: 'ancestors' }, context.ancestors.map((s) => statusCard(s, { inThread: true }))),
    focused,
    h('div', { class: 'card reply-card' }, replyBox),
    replies);
  context.descendants.forEach(addReply);
  if (!context.descendants.length) {
    replies.append(h('p', { class: 'thread-empty', text: 'No replies yet.' }));
  }
  if (context.ancestors.length) focused.scrollIntoView({ block: 'start' });

  const add = (reply) => {
    replies.querySelector('.thread-empty')?.remove();
    addReply(reply);
  };
  const stops = [
    on('posted', add),
    watch('user', (event, payload) => { if (event === 'update') add(payload); }),
  ];
  return { cleanup: () => stops.forEach((stop) => stop()) };
}
