// Scheduled posts: what goes out later, the most recently scheduled first (Mastodon's order);
// each can be moved to another time or cancelled before it is posted.
import { api } from '../api.js';
import { emptyState, errorState, feedOf, h, icon, pageHeader, spinner } from '../dom.js';
import { mediaGallery } from '../media.js';
import { whenInput, whenProblem } from '../schedule.js';
import { fullTime } from '../time.js';
import { confirmDialog, openDialog, toast } from '../ui.js';

const VISIBILITY = { public: 'Public', unlisted: 'Quiet public', private: 'Followers only',
  direct: 'Mentioned only' };

function when(item) {
  const date = new Date(item.scheduled_at);
  return h('time', { datetime: item.scheduled_at, class: 'scheduled-when', text: fullTime(date) });
}

function details(params) {
  return h('ul', { class: 'scheduled-details' },
    h('li', { text: VISIBILITY[params.visibility] || params.visibility }),
    params.spoiler_text && h('li', {}, icon('alert'), `Warning: ${params.spoiler_text}`),
    params.poll && h('li', {}, icon('poll'), `Poll: ${params.poll.options.join(' · ')}`),
    params.sensitive && params.media_ids?.length && h('li', {}, icon('eyeOff'), 'Media marked sensitive'),
    params.in_reply_to_id && h('li', {}, icon('reply'), 'A reply'));
}

function reschedule(item, onSaved) {
  const field = whenInput('New time', new Date(item.scheduled_at));
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const save = h('button', { class: 'button primary', type: 'submit', text: 'Save' });
  const form = h('form', { class: 'reschedule-form' }, field, error,
    h('div', { class: 'dialog-actions' }, save));
  const dialog = openDialog({ title: 'Reschedule post', body: form });
  field.input.focus();
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const problem = whenProblem(field.when());
    error.hidden = !problem;
    error.textContent = problem || '';
    if (problem) return;
    save.disabled = true;
    try {
      const updated = await api.put(`/api/v1/scheduled_statuses/${item.id}`,
        { scheduled_at: field.when().toISOString() });
      dialog.close();
      toast(`Rescheduled for ${fullTime(new Date(updated.scheduled_at))}.`);
      onSaved(updated);
    } catch (err) {
      error.hidden = false;
      error.textContent = err.message;
      save.disabled = false;
    }
  });
}

function row(item, list) {
  const el = h('article', { class: 'card scheduled-item', 'aria-label': 'Scheduled post' });
  function fill(current) {
    el.replaceChildren(
      h('p', { class: 'scheduled-head' }, icon('clock'), when(current)),
      h('p', { class: 'scheduled-text', text: current.params.text }),
      mediaGallery(current.media_attachments),
      details(current.params),
      h('div', { class: 'scheduled-actions' },
        h('button', { class: 'button small', type: 'button', text: 'Reschedule',
          onclick: () => reschedule(current, fill) }),
        h('button', { class: 'button small danger', type: 'button', text: 'Cancel post',
          onclick: async () => {
            const sure = await confirmDialog({ title: 'Cancel this post?', danger: true,
              text: 'It will not be posted. This cannot be undone.', confirm: 'Cancel post' });
            if (!sure) return;
            try {
              await api.del(`/api/v1/scheduled_statuses/${current.id}`);
              el.remove();
              toast('Scheduled post cancelled.');
              if (!list.querySelector('.scheduled-item')) list.dispatchEvent(new Event('emptied'));
            } catch (err) {
              toast(err.message, 'error');
            }
          } })));
  }
  fill(item);
  return el;
}

export function render(root, ctx) {
  ctx.setTitle('Scheduled posts');
  const list = feedOf(h('div', { class: 'scheduled-list', 'aria-label': 'Scheduled posts' }));
  const more = h('button', { class: 'button load-more', type: 'button', text: 'Show more',
    hidden: true });
  const empty = () => emptyState('Nothing scheduled',
    'Use the clock in the composer to pick when a post goes out.');
  const LIMIT = 20;
  let next = { limit: LIMIT };

  async function load() {
    more.hidden = true;
    const waiting = spinner();
    list.append(waiting);
    try {
      const page = await api.page('/api/v1/scheduled_statuses', next, { signal: ctx.signal });
      waiting.remove();
      list.append(...page.items.map((item) => row(item, list)));
      // The Link header names a next page whenever this one has items: a short page is the last.
      next = page.items.length >= LIMIT ? page.next : null;
      more.hidden = !next;
      if (!list.querySelector('.scheduled-item')) list.replaceChildren(empty());
    } catch (err) {
      waiting.remove();
      if (err.name !== 'AbortError') list.append(errorState(err.message, load));
    }
  }
  list.addEventListener('emptied', () => list.replaceChildren(empty()));
  more.addEventListener('click', load);
  root.append(pageHeader('Scheduled posts'), list, h('div', { class: 'feed-footer' }, more));
  load();
  return null;
}
