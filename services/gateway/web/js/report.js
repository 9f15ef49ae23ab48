// Reporting an account to its network's moderators (Mastodon's POST /api/v1/reports): a
// category and a comment; they see it under Network admin → Moderation.
import { api } from './api.js';
import { displayName, h } from './dom.js';
import { openDialog, toast } from './ui.js';

const CATEGORIES = [['spam', 'Spam'], ['violation', 'It breaks the rules'], ['legal', 'It is illegal'],
  ['other', 'Something else']];
const MAX_COMMENT = 1000;

export function openReport(account, statusIds = []) {
  const name = displayName(account);
  const category = h('select', { id: 'report-category', name: 'category' },
    CATEGORIES.map(([value, text]) => h('option', { value, text })));
  const comment = h('textarea', { id: 'report-comment', name: 'comment', rows: 4,
    maxlength: String(MAX_COMMENT), placeholder: 'What should the moderators know?' });
  const error = h('p', { class: 'form-error', role: 'alert' });
  const send = h('button', { class: 'button primary', type: 'submit', text: 'Send report' });
  const form = h('form', { class: 'report-form' },
    h('p', { class: 'dialog-text', text: `Your network's moderators will see this report about ${name}. ${
      name} is not told who reported them.` }),
    h('div', { class: 'field' }, h('label', { for: 'report-category', text: 'Why?' }), category),
    h('div', { class: 'field' }, h('label', { for: 'report-comment', text: 'Details (optional)' }), comment),
    error,
    h('div', { class: 'dialog-actions' },
      h('button', { class: 'button', type: 'button', text: 'Cancel', onclick: () => dialog.close() }),
      send));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    send.disabled = true;
    try {
      await api.post('/api/v1/reports', { account_id: account.id, status_ids: statusIds,
        category: category.value, comment: comment.value });
      dialog.close();
      toast(`Thanks: your report about ${name} was sent to the moderators.`);
    } catch (err) {
      error.textContent = err.message;
    } finally {
      send.disabled = false;
    }
  });
  const dialog = openDialog({ title: `Report ${name}`, body: form });
  category.focus();
  return dialog;
}
