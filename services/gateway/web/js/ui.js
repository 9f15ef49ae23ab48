// Shared bits of interface: toasts, dialogs, menus, and the app-wide event bus.
import { h, icon } from './dom.js';

/** App-wide events: 'status' (a status changed), 'status-deleted', 'notification', 'unread'. */
export const bus = new EventTarget();
export function emit(type, detail) { bus.dispatchEvent(new CustomEvent(type, { detail })); }
export function on(type, fn) {
  const listener = (event) => fn(event.detail);
  bus.addEventListener(type, listener);
  return () => bus.removeEventListener(type, listener);
}

let toasts;
export function toast(message, kind = 'info') {
  if (!toasts) {
    toasts = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toasts);
  }
  const item = h('div', { class: `toast ${kind}` }, h('span', { text: message }));
  toasts.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 6000 : 3500);
}

/** A modal <dialog>: focus stays inside, Escape closes, focus returns where it was. */
export function openDialog({ title, body, wide = false, onClose }) {
  const titleId = `dialog-title-${Math.random().toString(36).slice(2)}`;
  const returnTo = document.activeElement;
  const dialog = h('dialog', { class: `dialog${wide ? ' wide' : ''}`, 'aria-labelledby': titleId },
    h('header', { class: 'dialog-header' },
      h('h2', { id: titleId, text: title }),
      h('button', { class: 'icon-button', type: 'button', 'aria-label': 'Close',
        onclick: () => dialog.close() }, icon('x'))),
    h('div', { class: 'dialog-body' }, body));
  dialog.addEventListener('close', () => {
    dialog.remove();
    onClose?.();
    if (returnTo instanceof HTMLElement && returnTo.isConnected) returnTo.focus();
  });
  dialog.addEventListener('click', (event) => { if (event.target === dialog) dialog.close(); });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

export function confirmDialog({ title, text, confirm = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    let answer = false;
    const yes = h('button', { class: `button primary${danger ? ' danger' : ''}`, type: 'button',
      text: confirm, onclick: () => { answer = true; dialog.close(); } });
    const body = [
      h('p', { class: 'dialog-text', text }),
      h('div', { class: 'dialog-actions' },
        h('button', { class: 'button', type: 'button', text: 'Cancel', onclick: () => dialog.close() }),
        yes),
    ];
    const dialog = openDialog({ title, body, onClose: () => resolve(answer) });
    yes.focus();
  });
}

/** A menu button: arrow keys move, Escape closes, and the button gets focus back. */
export function menuButton(label, items) {
  const button = h('button', { class: 'icon-button', type: 'button', 'aria-label': label,
    'aria-haspopup': 'menu', 'aria-expanded': 'false' }, icon('more'));
  const wrap = h('div', { class: 'menu-wrap' }, button);
  let menu = null;

  function close(refocus = true) {
    if (!menu) return;
    menu.remove();
    menu = null;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('click', outside, true);
    if (refocus) button.focus();
  }
  function outside(event) { if (!wrap.contains(event.target)) close(false); }
  function open() {
    menu = h('ul', { class: 'menu', role: 'menu', 'aria-label': label },
      items.filter(Boolean).map((item) => h('li', { role: 'none' },
        h('button', { type: 'button', role: 'menuitem', tabindex: '-1',
          class: item.danger ? 'danger' : '',
          onclick: () => { close(); item.action(); } }, icon(item.icon), item.label))));
    menu.addEventListener('keydown', (event) => {
      const entries = [...menu.querySelectorAll('[role=menuitem]')];
      const at = entries.indexOf(document.activeElement);
      if (event.key === 'ArrowDown') entries[(at + 1) % entries.length].focus();
      else if (event.key === 'ArrowUp') entries[(at - 1 + entries.length) % entries.length].focus();
      else if (event.key === 'Escape' || event.key === 'Tab') close(event.key === 'Escape');
      else return;
      event.preventDefault();
      event.stopPropagation();
    });
    wrap.append(menu);
    button.setAttribute('aria-expanded', 'true');
    menu.querySelector('[role=menuitem]')?.focus();
    document.addEventListener('click', outside, true);
  }
  button.addEventListener('click', () => (menu ? close() : open()));
  return wrap;
}
