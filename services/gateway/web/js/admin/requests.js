// The approval queue: confirmed sign-ups waiting for an admin (registrations "approval").
import { api } from '../api.js';
import { displayName, emptyState, h } from '../dom.js';
import { act, statusLine } from './common.js';

export async function render(root) {
  const line = statusLine();
  const list = h('ul', { class: 'admin-list', 'aria-label': 'Waiting for approval' });
  async function load() {
    const waiting = await api.get('/api/hubbub/v1/network/requests', { limit: 80 });
    if (!waiting.length) {
      list.replaceChildren(h('li', {}, emptyState('Nobody is waiting', 'New sign-ups show up here.')));
      return;
    }
    list.replaceChildren(...waiting.map((a) => {
      const name = displayName(a);
      const decide = (decision, done) => {
        const button = h('button', { class: `button small${decision === 'approve' ? ' primary' : ' danger'}`,
          type: 'button', text: decision === 'approve' ? 'Approve' : 'Reject',
          'aria-label': `${decision === 'approve' ? 'Approve' : 'Reject'} ${name}` });
        button.addEventListener('click', async () => {
          if (await act(button, line, () => api.post(
            `/api/hubbub/v1/network/requests/${a.id}/${decision}`), `${name} ${done}.`)) load();
        });
        return button;
      };
      return h('li', { class: 'admin-row' },
        h('div', {}, h('strong', { text: name }), h('p', { class: 'muted', text: `@${a.acct}` })),
        h('div', { class: 'admin-row-actions' }, decide('approve', 'was approved'),
          decide('reject', 'was rejected')));
    }));
  }
  root.append(line, list);
  await load().catch((err) => { line.textContent = err.message; });
}
