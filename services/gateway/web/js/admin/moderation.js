// Moderation, for the network's moderators, admins and owners: open reports (resolve them, or
// act on the reported account), and accounts with their moderation actions (silence, suspend,
// and their undoing). Mastodon's admin API; the gateway checks the role on every call.
import { api, session } from '../api.js';
import { displayName, emptyState, h } from '../dom.js';
import { confirmDialog } from '../ui.js';
import { act, statusLine, when } from './common.js';

const CATEGORY = { spam: 'Spam', legal: 'Legal', violation: 'Rule violation', other: 'Other' };
const FILTERS = [['', 'Everyone'], ['silenced', 'Silenced'], ['suspended', 'Suspended'],
  ['disabled', 'Disabled'], ['pending', 'Awaiting approval']];

function actionButton(label, { danger = false, primary = false, onClick }) {
  const button = h('button', { class: `button small${danger ? ' danger' : ''}${primary ? ' primary' : ''}`,
    type: 'button', text: label });
  button.addEventListener('click', () => onClick(button));
  return button;
}

// The actions on one account (an Admin::Account), each asked first when it locks someone out.
function accountActions(admin, line, reload, reportId) {
  if (admin.id === session.me?.id) return [];  // nobody moderates themselves
  const name = displayName(admin.account);
  const run = (button, path, body, done) => act(button, line,
    () => api.post(`/api/v1/admin/accounts/${admin.id}/${path}`, body), done).then((ok) => ok && reload());
  const take = (type, label, text, danger) => actionButton(label, { danger, onClick: async (button) => {
    if (danger && !await confirmDialog({ title: `${label} ${name}?`, danger: true, confirm: label, text })) return;
    await run(button, 'action', { type, ...(reportId ? { report_id: reportId } : {}) },
      `${name}: ${label.toLowerCase()}d.`);
  } });
  return [
    admin.silenced
      ? actionButton('Unsilence', { onClick: (b) => run(b, 'unsilence', {}, `${name} is heard again.`) })
      : take('silence', 'Silence', '', false),
    admin.suspended
      ? actionButton('Unsuspend', { onClick: (b) => run(b, 'unsuspend', {}, `${name} may sign in again.`) })
      : take('suspend', 'Suspend', 'They are signed out everywhere, cannot sign in, and nobody sees them.', true),
  ];
}

function reportRow(report, line, reload) {
  const target = report.target_account;
  const reporter = report.account;
  const resolve = actionButton('Resolve', { primary: true, onClick: async (button) => {
    if (await act(button, line, () => api.post(`/api/v1/admin/reports/${report.id}/resolve`),
      'Report resolved.')) reload();
  } });
  return h('li', { class: 'admin-row report-row' },
    h('div', {},
      h('strong', { text: target ? `${displayName(target.account)} (@${target.username})` : 'Someone' }),
      h('span', { class: 'badge', text: CATEGORY[report.category] || report.category }),
      report.comment && h('p', { class: 'report-comment', text: report.comment }),
      report.statuses?.length ? h('p', { class: 'muted',
        text: `${report.statuses.length} post${report.statuses.length === 1 ? '' : 's'} reported` }) : null,
      h('p', { class: 'muted', text: `Reported by ${reporter ? `@${reporter.username}` : 'someone'} · ${
        when(report.created_at)}` })),
    h('div', { class: 'admin-row-actions' },
      ...(target ? accountActions(target, line, reload, report.id) : []), resolve));
}

function accountRow(admin, line, reload) {
  const flags = ['silenced', 'suspended', 'disabled'].filter((f) => admin[f]);
  return h('li', { class: 'admin-row' },
    h('div', {}, h('strong', { text: displayName(admin.account) }),
      ...flags.map((f) => h('span', { class: 'badge', text: f })),
      h('p', { class: 'muted', text: `@${admin.username} · ${admin.email}` })),
    h('div', { class: 'admin-row-actions' }, ...accountActions(admin, line, reload)));
}

// An action taken from a report resolves it (Mastodon's report_id), and changes the account
// in the list below: both parts reload after any of them.
function reportsPart(root, line, reloadAll) {
  const list = h('ul', { class: 'admin-list', 'aria-label': 'Open reports' });
  async function load() {
    const reports = await api.get('/api/v1/admin/reports', { limit: 40 });
    list.replaceChildren(...(reports.length ? reports.map((r) => reportRow(r, line, reloadAll))
      : [h('li', {}, emptyState('No open reports', 'Reports from members show up here.'))]));
  }
  root.append(h('h2', { text: 'Open reports' }), list);
  return load;
}

function accountsPart(root, line, reloadAll) {
  const status = h('select', { 'aria-label': 'Show accounts' },
    FILTERS.map(([value, text]) => h('option', { value, text })));
  const list = h('ul', { class: 'admin-list', 'aria-label': 'Accounts' });
  const more = h('button', { class: 'button', type: 'button', text: 'Load more', hidden: true });
  let next = {};
  async function load(reset) {
    if (reset) { next = {}; list.replaceChildren(); }
    const query = { ...next, limit: 40, ...(status.value ? { status: status.value } : {}) };
    const page = await api.page('/api/v2/admin/accounts', query);
    list.append(...page.items.map((a) => accountRow(a, line, reloadAll)));
    if (!list.children.length) list.append(h('li', {}, emptyState('Nobody here', '')));
    next = page.next;
    more.hidden = !next || !page.items.length;
  }
  status.addEventListener('change', () => load(true).catch((err) => { line.textContent = err.message; }));
  more.addEventListener('click', () => load(false).catch((err) => { line.textContent = err.message; }));
  root.append(h('h2', { text: 'Accounts' }), status, list, more);
  return () => load(true);
}

export async function render(root) {
  const line = statusLine();
  const reports = h('div', { class: 'moderation-reports' });
  const accounts = h('div', { class: 'moderation-accounts' });
  root.append(line, reports, accounts);
  const reloadAll = () => Promise.all([loadReports(), loadAccounts()])
    .catch((err) => { line.textContent = err.message; });
  const loadReports = reportsPart(reports, line, reloadAll);
  const loadAccounts = accountsPart(accounts, line, reloadAll);
  await reloadAll();
}
