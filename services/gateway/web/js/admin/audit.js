// The audit log: who changed what in the network, newest first, a page at a time.
import { api } from '../api.js';
import { displayName, h } from '../dom.js';
import { statusLine, when } from './common.js';

const who = (actor) => (actor?.acct ? `${displayName(actor)} (@${actor.acct})` : actor?.kind || 'Hubbub');

function entry(e) {
  const target = e.target ? ` → ${displayName(e.target)} (@${e.target.acct})` : '';
  const details = Object.entries(e.details || {}).map(([k, v]) => `${k}: ${typeof v === 'object'
    ? JSON.stringify(v) : v}`).join(', ');
  return h('li', { class: 'admin-row audit-entry' }, h('div', {},
    h('strong', { text: e.action }), h('span', { text: target }),
    h('p', { class: 'muted', text: `${who(e.actor)} · ${when(e.created_at)}${e.ip ? ` · ${e.ip}` : ''}${
      e.app?.name ? ` · ${e.app.name}` : ''}` }),
    details && h('p', { class: 'audit-details', text: details })));
}

export async function render(root) {
  const line = statusLine();
  const list = h('ol', { class: 'admin-list', 'aria-label': 'Audit log' });
  const more = h('button', { class: 'button', type: 'button', text: 'Older entries', hidden: true });
  let next = {};
  async function load() {
    const page = await api.page('/api/hubbub/v1/network/audit', { ...next, limit: 40 });
    list.append(...page.items.map(entry));
    next = page.next;
    more.hidden = !next || !page.items.length;
    if (!list.children.length) line.textContent = 'Nothing happened yet.';
  }
  more.addEventListener('click', () => load().catch((err) => { line.textContent = err.message; }));
  root.append(line, list, more);
  await load().catch((err) => { line.textContent = err.message; });
}
