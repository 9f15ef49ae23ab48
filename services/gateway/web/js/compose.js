// The composer: text with a character counter (a link counts 23, as on the server), content
// warning, visibility, poll, attachments (picked, dropped or pasted: attachments.js), @/#
// suggestions; it also replies, edits, posts into communities, and starts direct messages
// (visibility "direct": only the people it mentions see it).
import { api, session } from './api.js';
import { attachmentEditor } from './attachments.js';
import { attachAutocomplete } from './autocomplete.js';
import { displayName, h, icon, nextId, richContent } from './dom.js';
import { whenInput, whenProblem } from './schedule.js';
import { fullTime } from './time.js';
import { emit, openDialog, toast } from './ui.js';

const URL_RE = /https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/giu;
const MENTION_RE = /(?<![\p{L}\p{N}_/])@([A-Za-z0-9_]{1,30})(?:@[A-Za-z0-9.-]+\.[A-Za-z]{2,})?/gu;
const ORDER = ['public', 'unlisted', 'private', 'direct'];
const VISIBILITY_TEXT = {
  public: ['Public', 'Everyone in your network'],
  unlisted: ['Quiet public', 'Not in public timelines or hashtags'],
  private: ['Followers only', 'Only people who follow you'],
  direct: ['Mentioned only', 'Only the people you mention'],
};
const COMMUNITY_VISIBILITY = {
  public: ['All members', 'Everyone in this community'],
  private: ['Members who follow you', 'Only members of this community who follow you'],
};
const DURATIONS = [[300, '5 minutes'], [1800, '30 minutes'], [3600, '1 hour'], [21600, '6 hours'],
  [86400, '1 day'], [259200, '3 days'], [604800, '7 days']];

/** Characters as the server counts them: every link is 23, @user@domain counts as @user. */
export function countLength(text) {
  const counted = text.trim().replace(URL_RE, 'x'.repeat(23)).replace(MENTION_RE, (_, u) => `@${u}`);
  return [...counted].length;
}

function limits() {
  const config = session.instance?.configuration || {};
  return {
    chars: config.statuses?.max_characters || 500,
    options: config.polls?.max_options || 4,
    optionChars: config.polls?.max_characters_per_option || 50,
  };
}

function replyMentions(status) {
  const names = [status.account.acct, ...(status.mentions || []).map((m) => m.acct)];
  const unique = [...new Set(names)].filter((n) => n !== session.me?.acct);
  return unique.length ? `${unique.map((n) => `@${n}`).join(' ')} ` : '';
}

function pollEditor(max, maxChars) {
  const options = h('ol', { class: 'poll-options' });
  const add = h('button', { class: 'button small', type: 'button' }, icon('plus'), 'Add option');
  function addOption(value = '') {
    const n = options.children.length + 1;
    const id = nextId('option');
    options.append(h('li', {},
      h('label', { for: id, class: 'sr-only', text: `Option ${n}` }),
      h('input', { id, type: 'text', name: 'option', maxlength: maxChars, value,
        placeholder: `Option ${n}` })));
    add.hidden = options.children.length >= max;
  }
  add.addEventListener('click', () => { addOption(); options.lastChild.querySelector('input').focus(); });
  addOption();
  addOption();
  const durationId = nextId('duration');
  const duration = h('select', { id: durationId },
    DURATIONS.map(([s, label]) => h('option', { value: String(s), selected: s === 86400, text: label })));
  const multiple = h('input', { type: 'checkbox', id: nextId('multiple') });
  const editor = h('fieldset', { class: 'poll-editor', hidden: true },
    h('legend', { text: 'Poll' }), options, add,
    h('div', { class: 'poll-settings' },
      h('label', { for: durationId, text: 'Closes in' }), duration,
      h('label', { class: 'checkbox' }, multiple, 'Allow several choices')));
  editor.value = () => ({
    options: [...options.querySelectorAll('input')].map((i) => i.value.trim()).filter(Boolean),
    expires_in: Number(duration.value),
    multiple: multiple.checked,
  });
  return editor;
}

/** opts: replyTo, edit, communityId, communityName, onDone(status; null when scheduled),
 * autofocus, compact; visibility and text to start with (a direct message: 'direct' and
 * '@someone '). */
export function composer(opts = {}) {
  const { replyTo, edit } = opts;
  const max = limits();
  const textId = nextId('text');
  const counterId = nextId('counter');
  const text = h('textarea', { id: textId, rows: opts.compact ? 2 : 4, 'aria-describedby': counterId,
    placeholder: replyTo ? `Reply to ${displayName(replyTo.account)}…`
      : opts.communityName ? `Post to ${opts.communityName}…`
        : opts.visibility === 'direct' ? 'Mention who it is for: @name, then your message…'
          : `What's new, ${displayName(session.me)}?` });
  const suggestions = attachAutocomplete(text);
  const cwId = nextId('cw');
  const cw = h('input', { id: cwId, type: 'text', placeholder: 'Content warning', maxlength: max.chars });
  const cwRow = h('div', { class: 'cw-row', hidden: true },
    h('label', { for: cwId, class: 'sr-only', text: 'Content warning' }), cw);
  const poll = pollEditor(max.options, max.optionChars);
  const media = attachmentEditor({ existing: edit?.media_attachments || [], onChange: () => update() });
  const sensitive = h('input', { type: 'checkbox', checked: Boolean(edit?.sensitive) });
  const sensitiveRow = h('label', { class: 'checkbox sensitive-row', hidden: true }, sensitive,
    'Mark media as sensitive (covered until readers choose to see it)');
  // Scheduling: behind the "Schedule" button, when the post goes out (not for edits).
  const when = whenInput('Post at');
  const scheduleRow = h('div', { class: 'schedule-row', hidden: true }, when,
    h('a', { href: '/web/scheduled', text: 'Scheduled posts' }));
  const visibilityId = nextId('visibility');
  let initial = opts.visibility || session.me?.source?.privacy || 'public';
  if (replyTo && ORDER.indexOf(replyTo.visibility) > ORDER.indexOf(initial)) initial = replyTo.visibility;
  // In a community only its members see a post: everyone there, or those who follow you.
  const choices = opts.communityId && !replyTo ? COMMUNITY_VISIBILITY : VISIBILITY_TEXT;
  if (!choices[initial]) initial = 'public';
  const visibility = h('select', { id: visibilityId, class: 'visibility-select', disabled: !!edit },
    Object.entries(choices).map(([v, [label, title]]) => h('option', { value: v,
      selected: v === initial, title, text: label })));
  const counter = h('span', { class: 'counter', id: counterId, 'aria-hidden': 'true', text: String(max.chars) });
  const announce = h('span', { class: 'sr-only', 'aria-live': 'polite' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { class: 'button primary', type: 'submit' });
  const toggleButton = (name, label, target, focus) => {
    const button = h('button', { class: 'icon-button', type: 'button', 'aria-pressed': 'false',
      'aria-label': label, title: label }, icon(name));
    button.addEventListener('click', () => {
      target.hidden = !target.hidden;
      button.setAttribute('aria-pressed', String(!target.hidden));
      if (!target.hidden) focus().focus();
      update();
    });
    return button;
  };
  const pollButton = toggleButton('poll', 'Add a poll', poll, () => poll.querySelector('input'));
  const cwButton = toggleButton('alert', 'Add a content warning', cwRow, () => cw);
  const scheduleButton = toggleButton('clock', 'Schedule', scheduleRow, () => when.input);
  if (edit) {
    pollButton.hidden = true;
    scheduleButton.hidden = true;
    if (edit.poll) media.button.hidden = true;
  }
  const submitText = () => (edit ? 'Save' : !scheduleRow.hidden ? 'Schedule post'
    : replyTo ? 'Reply' : opts.visibility === 'direct' ? 'Send' : 'Post');

  const form = h('form', { class: `composer${opts.compact ? ' compact' : ''}`,
    'aria-label': edit ? 'Edit post' : replyTo ? 'Reply' : 'New post' },
  opts.communityName && !replyTo && h('p', { class: 'composer-context' }, icon('users'),
    'Posting to ', h('strong', { text: opts.communityName })),
  cwRow,
  h('div', { class: 'composer-field' },
    h('label', { for: textId, class: 'sr-only', text: edit ? 'Post text' : 'What do you want to say?' }),
    text, suggestions),
  media.list,
  media.notice,
  sensitiveRow,
  poll,
  scheduleRow,
  h('div', { class: 'composer-bar' },
    h('div', { class: 'composer-tools' }, media.button, media.input, pollButton, cwButton,
      scheduleButton,
      h('label', { for: visibilityId, class: 'sr-only', text: 'Who can see this' }), visibility),
    h('div', { class: 'composer-send' }, counter, announce, submit)),
  error);

  function update() {
    const left = max.chars - countLength(text.value);
    counter.textContent = String(left);
    counter.classList.toggle('over', left < 0);
    counter.classList.toggle('near', left >= 0 && left <= 20);
    if (left < 0) announce.textContent = `${-left} characters over the limit`;
    else if (left <= 20) announce.textContent = `${left} characters left`;
    else announce.textContent = '';
    const attached = media.count() > 0;
    submit.disabled = left < 0 || (!text.value.trim() && poll.hidden && !attached) || media.busy();
    submit.title = media.busy() ? 'Waiting for the uploads to finish' : '';
    submit.textContent = submitText();
    // A post carries a poll or attachments, never both (as on Mastodon).
    pollButton.disabled = attached;
    pollButton.title = attached ? 'A post with attachments cannot have a poll' : 'Add a poll';
    media.block(poll.hidden ? null : 'A post with a poll cannot have attachments.');
    sensitiveRow.hidden = !attached;
  }

  function payload() {
    const body = { status: text.value, spoiler_text: cwRow.hidden ? '' : cw.value.trim() };
    body.sensitive = Boolean(body.spoiler_text) || (media.count() > 0 && sensitive.checked);
    if (edit) return body;
    body.visibility = visibility.value;
    if (replyTo) body.in_reply_to_id = replyTo.id;
    if (opts.communityId && !replyTo) body.community_id = opts.communityId;
    if (!poll.hidden) body.poll = poll.value();
    if (!scheduleRow.hidden) body.scheduled_at = when.when()?.toISOString() || '';
    return body;
  }

  function check(body) {
    if (media.failed()) return 'Remove the attachments that could not be uploaded, or try them again.';
    if (body.scheduled_at !== undefined) {
      const problem = whenProblem(when.when());
      if (problem) return problem;
    }
    if (body.poll) {
      const options = body.poll.options;
      if (options.length < 2) return 'A poll needs at least two options.';
      if (new Set(options).size !== options.length) return 'Poll options must be different.';
      if (!body.status.trim()) return 'Write a question for your poll.';
    }
    return null;
  }

  text.addEventListener('input', update);
  // Pictures pasted (a screenshot, say) and files dropped on the composer are attached.
  text.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData?.files || [])];
    if (!files.length) return;
    event.preventDefault();
    media.add(files);
  });
  const carriesFiles = (event) => [...(event.dataTransfer?.types || [])].includes('Files');
  form.addEventListener('dragover', (event) => {
    if (!carriesFiles(event) || media.button.hidden) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
    form.classList.add('dropping');
  });
  form.addEventListener('dragleave', (event) => {
    if (!form.contains(event.relatedTarget)) form.classList.remove('dropping');
  });
  form.addEventListener('drop', (event) => {
    form.classList.remove('dropping');
    if (!carriesFiles(event) || media.button.hidden) return;
    event.preventDefault();
    media.add([...event.dataTransfer.files]);
  });
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (submit.disabled) return;
    const body = payload();
    const problem = check(body);
    error.hidden = !problem;
    error.textContent = problem || '';
    if (problem) return;
    submit.disabled = true;
    try {
      Object.assign(body, await media.prepare({ edit: Boolean(edit) }));
      const status = edit
        ? await api.put(`/api/v1/statuses/${edit.id}`, body)
        : await api.post('/api/v1/statuses', body);
      if (body.scheduled_at) {  // a ScheduledStatus: nothing is posted yet
        emit('scheduled', status);
        toast(`Scheduled for ${fullTime(new Date(status.scheduled_at))}.`);
        reset(true);
        opts.onDone?.(null);
        return;
      }
      emit(edit ? 'status' : 'posted', status);
      if (replyTo) emit('status', { ...replyTo, replies_count: (replyTo.replies_count || 0) + 1 });
      toast(edit ? 'Post updated.' : replyTo ? 'Reply posted.'
        : body.visibility === 'direct' ? 'Message sent.' : 'Posted.');
      reset(true);
      opts.onDone?.(status);
    } catch (err) {
      error.hidden = false;
      error.textContent = err.message;
    } finally {
      update();
    }
  });

  /** Empty again; after a post (`posted`) the attachments, which belong to it now, go too. */
  function reset(posted = false) {
    text.value = replyTo ? replyMentions(replyTo) : opts.text || '';
    cw.value = '';
    cwRow.hidden = true;
    if (posted) {
      media.reset();
      sensitive.checked = false;
    }
    poll.hidden = true;
    scheduleRow.hidden = true;
    poll.querySelectorAll('input[type=text]').forEach((i) => { i.value = ''; });
    form.querySelectorAll('[aria-pressed]').forEach((b) => b.setAttribute('aria-pressed', 'false'));
  }

  reset();
  if (edit) {
    api.get(`/api/v1/statuses/${edit.id}/source`).then((source) => {
      text.value = source.text;
      if (source.spoiler_text) {
        cw.value = source.spoiler_text;
        cwRow.hidden = false;
        cwButton.setAttribute('aria-pressed', 'true');
      }
      update();
    }, (err) => toast(err.message, 'error'));
  }
  update();
  if (opts.autofocus) {
    queueMicrotask(() => {
      text.focus();
      text.setSelectionRange(text.value.length, text.value.length);
    });
  }
  form.focusText = () => text.focus();
  return form;
}

/** The composer in a dialog: the "New post" button, replies and edits from any page. */
export function openComposer(opts = {}) {
  const title = opts.edit ? 'Edit post' : opts.replyTo
    ? `Reply to ${displayName(opts.replyTo.account)}`
    : opts.visibility === 'direct' ? 'New direct message' : 'New post';
  let dialog;
  const form = composer({ ...opts, autofocus: true, onDone: (status) => {
    dialog.close();
    opts.onDone?.(status);
  } });
  const preview = opts.replyTo && h('blockquote', { class: 'reply-preview' },
    h('strong', { text: displayName(opts.replyTo.account) }),
    h('span', { text: opts.replyTo.spoiler_text || richContent(opts.replyTo.content).textContent }));
  dialog = openDialog({ title, body: preview ? [preview, form] : form, wide: true });
  form.focusText();
  return dialog;
}
