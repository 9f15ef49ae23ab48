// A status's poll: a form to vote while it is open and unanswered, results otherwise.
import { api, session } from './api.js';
import { h, nextId } from './dom.js';
import { relativeTime } from './time.js';
import { emit, toast } from './ui.js';

export function pollView(status) {
  const poll = status.poll;
  const own = status.account.id === session.me?.id;
  const canVote = !poll.expired && !poll.voted && !own;
  return canVote ? voteForm(status) : results(status);
}

function summary(poll) {
  const voters = poll.voters_count ?? poll.votes_count;
  const parts = [`${voters} ${voters === 1 ? 'person' : 'people'}`];
  if (poll.expired) parts.push('Closed');
  else if (poll.expires_at) parts.push(`Closes ${relativeTime(new Date(poll.expires_at))}`);
  return h('p', { class: 'poll-summary', text: parts.join(' · ') });
}

function results(status) {
  const poll = status.poll;
  const total = Math.max(1, poll.votes_count);
  const most = Math.max(...poll.options.map((o) => o.votes_count || 0));
  return h('div', { class: 'poll' },
    h('ul', { class: 'poll-results' }, poll.options.map((option, index) => {
      const share = Math.round(((option.votes_count || 0) / total) * 100);
      const mine = poll.own_votes?.includes(index);
      const bar = h('span', { class: 'poll-bar' });
      bar.style.width = `${share}%`;  // CSSOM, which the page's CSP allows (style="" it would not)
      return h('li', { class: `poll-result${option.votes_count === most && most > 0 ? ' leading' : ''}` },
        bar,
        h('span', { class: 'poll-share', text: `${share}%` }),
        h('span', { class: 'poll-option', text: option.title }),
        mine && h('span', { class: 'badge brand', text: 'Your vote' }));
    })),
    summary(poll));
}

function voteForm(status) {
  const poll = status.poll;
  const name = nextId('poll');
  const form = h('form', { class: 'poll' },
    h('fieldset', {},
      h('legend', { class: 'sr-only', text: poll.multiple ? 'Choose one or more' : 'Choose one' }),
      poll.options.map((option, index) => h('label', { class: 'poll-choice' },
        h('input', { type: poll.multiple ? 'checkbox' : 'radio', name, value: String(index) }),
        h('span', { text: option.title })))),
    h('div', { class: 'poll-footer' },
      h('button', { class: 'button small', type: 'submit', text: 'Vote' }),
      summary(poll)));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const choices = [...form.querySelectorAll('input:checked')].map((i) => i.value);
    if (!choices.length) { toast('Pick an option first.', 'error'); return; }
    try {
      const updated = await api.post(`/api/v1/polls/${poll.id}/votes`, { choices });
      emit('status', { ...status, poll: updated });
    } catch (err) {
      toast(err.message, 'error');
    }
  });
  return form;
}
