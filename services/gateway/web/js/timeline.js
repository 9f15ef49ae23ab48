// A timeline: pages by max_id as you scroll, live posts from a stream at the top (or behind a
// "N new posts" bar when you have scrolled down), and a catch-up by since_id after a reconnect.
import { api } from './api.js';
import { errorState, feedOf, h, spinner, whenNear } from './dom.js';
import { statusCard } from './status.js';
import { watch } from './stream.js';
import { on } from './ui.js';

const NEAR_TOP = 120;
const CATCH_UP_LIMIT = 40;

/**
 * path/query: the REST list. stream: a stream key to watch (optional); accept(status) filters
 * live posts. empty: the element shown when there is nothing. cardOptions: for statusCard.
 */
export function timeline({ path, query = {}, stream, accept = () => true, empty, label,
  cardOptions = {}, acceptPosted = null }) {
  const feed = feedOf(h('div', { class: 'feed', 'aria-busy': 'true', 'aria-label': label }));
  const bar = h('button', { class: 'new-posts', type: 'button', hidden: true });
  const more = h('button', { class: 'button load-more', type: 'button', text: 'Load more posts', hidden: true });
  const footer = h('div', { class: 'feed-footer' }, more);
  const el = h('section', { class: 'timeline' }, bar, feed, footer);
  const pending = [];
  const ids = new Set();
  let next = { ...query };
  let loading = false;
  let done = false;
  let visible = true;

  function newest() {
    const first = pending[0] || feed.querySelector('.status')?.hubbub.status;
    return first?.id;
  }

  function card(status) {
    ids.add(status.id);
    return statusCard(status, cardOptions);
  }

  function showEmpty() {
    if (!feed.querySelector('.status') && done && empty) feed.replaceChildren(empty());
  }

  async function loadMore() {
    if (loading || done) return;
    loading = true;
    more.hidden = true;
    footer.replaceChildren(spinner('Loading posts'), more);
    try {
      const page = await api.page(path, next);
      const fresh = page.items.filter((s) => !ids.has(s.id));
      feed.querySelector('.empty')?.remove();
      feed.append(...fresh.map(card));
      next = page.next;
      done = !page.next || page.items.length === 0;
      footer.replaceChildren(done && feed.querySelector('.status')
        ? h('p', { class: 'feed-end', text: "You're all caught up." }) : more);
      more.hidden = done;
      showEmpty();
      if (!done && visible) nearby.recheck();
    } catch (err) {
      footer.replaceChildren(errorState(err.message, () => { footer.replaceChildren(more); loadMore(); }));
    } finally {
      loading = false;
      feed.setAttribute('aria-busy', 'false');
    }
  }

  function atTop() {
    return visible && window.scrollY < NEAR_TOP && document.visibilityState === 'visible';
  }

  function updateBar() {
    bar.hidden = pending.length === 0;
    bar.textContent = pending.length === 1 ? '1 new post' : `${pending.length} new posts`;
  }

  function flush() {
    if (!pending.length) return;
    feed.querySelector('.empty')?.remove();
    const cards = pending.splice(0).map(card);
    cards.forEach((c) => c.classList.add('fresh'));
    feed.prepend(...cards);
    updateBar();
    return cards[0];
  }

  /** A status for the top: shown at once when you are at the top, else behind the bar. */
  function push(status) {
    if (ids.has(status.id) || pending.some((p) => p.id === status.id)) {
      return;
    }
    pending.unshift(status);
    if (atTop()) flush();
    else updateBar();
  }

  async function catchUp() {
    const since = newest();
    if (!since) { refresh(); return; }
    try {
      const page = await api.page(path, { ...query, since_id: since, limit: CATCH_UP_LIMIT });
      if (page.items.length >= CATCH_UP_LIMIT) { refresh(); return; }  // too far behind
      page.items.filter(accept).reverse().forEach(push);
    } catch {
      // The next reconnect tries again.
    }
  }

  function refresh() {
    pending.length = 0;
    ids.clear();
    updateBar();
    next = { ...query };
    done = false;
    feed.replaceChildren();
    loadMore();
  }

  bar.addEventListener('click', () => {
    const first = flush();
    window.scrollTo({ top: 0 });
    first?.focus({ preventScroll: true });
  });
  more.addEventListener('click', loadMore);

  const nearby = whenNear(footer, () => { if (visible) loadMore(); });

  const stops = [
    on('status-deleted', (id) => { ids.delete(id); }),
  ];
  if (acceptPosted) {
    stops.push(on('posted', (status) => { if (acceptPosted(status)) push(status); }));
  }
  if (stream) {
    stops.push(watch(stream, (event, payload) => {
      if (event === 'update' && accept(payload)) push(payload);
      else if (event === 'status.update') {
        feed.querySelectorAll('.status').forEach((c) => {
          const s = c.hubbub.status;
          if (s.id === payload.id || s.reblog?.id === payload.id) {
            c.replaceWith(statusCard(s.reblog ? { ...s, reblog: payload } : payload, cardOptions));
          }
        });
      } else if (event === 'delete') {
        const index = pending.findIndex((p) => p.id === payload || p.reblog?.id === payload);
        if (index >= 0) { pending.splice(index, 1); updateBar(); }
        feed.querySelectorAll('.status').forEach((c) => {
          const s = c.hubbub.status;
          if (s.id === payload || s.reblog?.id === payload) c.remove();
        });
      }
    }, catchUp));
  }
  const onScroll = () => { if (atTop() && pending.length) flush(); };
  window.addEventListener('scroll', onScroll, { passive: true });

  loadMore();
  return {
    el,
    refresh,
    push,
    newestId: newest,
    show() { visible = true; if (atTop()) flush(); },
    hide() { visible = false; },
    destroy() {
      nearby.stop();
      window.removeEventListener('scroll', onScroll);
      stops.forEach((stop) => stop());
    },
  };
}
