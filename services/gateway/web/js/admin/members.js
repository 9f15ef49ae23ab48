// Members and their roles: change a role, or deactivate someone (they are signed out everywhere).
import { api } from '../api.js';
import { displayName, h } from '../dom.js';
import { confirmDialog } from '../ui.js';
import { act, statusLine } from './common.js';

const ROLES = ['owner', 'admin', 'moderator', 'member', 'guest'];
const LABEL = { owner: 'Owner', admin: 'Admin', moderator: 'Moderator', member: 'Member', guest: 'Guest' };
// Members come as Mastodon accounts: owners, admins and moderators carry their highlighted role.
const roleOf = (a) => a.hubbub?.role || a.roles?.[0]?.name?.toLowerCase() || 'member';

function row(account, line, reload) {
  const name = displayName(account);
  const select = h('select', { 'aria-label': `Role of ${name}` },
    ROLES.map((r) => h('option', { value: r, text: LABEL[r], selected: r === roleOf(account) })));
  select.addEventListener('change', async () => {
    const role = select.value;
    const ok = await act(select, line, () => api.patch(
      `/api/hubbub/v1/network/members/${account.id}`, { role }), `${name} is now ${LABEL[role]}.`);
    if (!ok) select.value = roleOf(account);
    else account.hubbub = { ...account.hubbub, role };
  });
  const deactivate = h('button', { class: 'button small danger', type: 'button', text: 'Deactivate',
    'aria-label': `Deactivate ${name}` });
  deactivate.addEventListener('click', async () => {
    const sure = await confirmDialog({ title: `Deactivate ${name}?`, danger: true, confirm: 'Deactivate',
      text: 'They are signed out everywhere and can no longer sign in.' });
    if (sure && await act(deactivate, line, () => api.post(
      `/api/hubbub/v1/network/accounts/${account.id}/deactivate`), `${name} was deactivated.`)) reload();
  });
  return h('li', { class: 'admin-row' },
    h('div', {}, h('strong', { text: name }), h('p', { class: 'muted', text: `@${account.acct}` })),
    h('div', { class: 'admin-row-actions' }, select, deactivate));
}

export async function render(root) {
  const line = statusLine();
  const list = h('ul', { class: 'admin-list', 'aria-label': 'Members' });
  const more = h('button', { class: 'button', type: 'button', text: 'Load more', hidden: true });
  let next = {};
  async function load(reset) {
    if (reset) { next = {}; list.replaceChildren(); }
    const page = await api.page('/api/hubbub/v1/network/members', { ...next, limit: 40 });
    list.append(...page.items.map((a) => row(a, line, () => load(true))));
    next = page.next;
    more.hidden = !next || !page.items.length;
  }
  more.addEventListener('click', () => load(false).catch((err) => { line.textContent = err.message; }));
  root.append(line, list, more);
  await load(true).catch((err) => { line.textContent = err.message; });
}
