// Bits the admin sections share: a status line for what just happened, and a busy button.
import { h } from '../dom.js';

export function statusLine() {
  return h('p', { class: 'admin-status', role: 'status', 'aria-live': 'polite' });
}

/** Runs action with the button disabled; reports its outcome (or its error) on the line. */
export async function act(button, line, action, done) {
  button.disabled = true;
  try {
    await action();
    if (done) line.textContent = done;
    return true;
  } catch (err) {
    line.textContent = err.message;
    return false;
  } finally {
    button.disabled = false;
  }
}

export function field(id, label, attrs = {}, hint = '') {
  return h('div', { class: 'field' },
    h('label', { for: id, text: label }),
    h('input', { id, name: id, ...attrs }),
    hint && h('p', { class: 'field-hint', text: hint }));
}

export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');
