// SCIM tokens: what the company's directory uses to provision and deprovision members. A new
// token is shown once, here; the server keeps only its digest.
import { api } from '../api.js';
import { h } from '../dom.js';
import { confirmDialog } from '../ui.js';
import { act, field, statusLine, when } from './common.js';

const PATH = '/api/hubbub/v1/network/scim_tokens';

export async function render(root) {
  const line = statusLine();
  const shown = h('div', { class: 'admin-secret', hidden: true });
  const list = h('ul', { class: 'admin-list', 'aria-label': 'SCIM tokens' });
  async function load() {
    const tokens = await api.get(PATH);
    list.replaceChildren(...tokens.map((t) => {
      const name = t.label || `Token ${t.id}`;
      const revoke = h('button', { class: 'button small danger', type: 'button', text: 'Revoke',
        'aria-label': `Revoke ${name}` });
      revoke.addEventListener('click', async () => {
        const sure = await confirmDialog({ title: `Revoke ${name}?`, danger: true, confirm: 'Revoke',
          text: 'The directory using it can no longer provision members.' });
        if (sure && await act(revoke, line, () => api.del(`${PATH}/${t.id}`), `${name} revoked.`)) load();
      });
      return h('li', { class: 'admin-row' }, h('div', {}, h('strong', { text: name }),
        h('p', { class: 'muted', text: `Created ${when(t.created_at)}${t.last_used_at
          ? `, last used ${when(t.last_used_at)}` : ', never used'}` })), revoke);
    }));
  }
  const form = h('form', { class: 'admin-form', 'aria-label': 'Create a SCIM token' },
    field('scim-label', 'Label', { placeholder: 'e.g. Okta' }),
    h('button', { class: 'button primary', type: 'submit', text: 'Create token' }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const label = form.elements.namedItem('scim-label').value.trim();
    let made;
    if (await act(form.querySelector('button'), line, async () => {
      made = await api.post(PATH, { label });
    }, 'Token created. Copy it now: it is not shown again.')) {
      shown.hidden = false;
      shown.replaceChildren(h('label', { for: 'scim-new-token', text: 'New SCIM token' }),
        h('input', { id: 'scim-new-token', readonly: true, value: made.token }));
      form.elements.namedItem('scim-label').value = '';
      load();
    }
  });
  root.append(form, line, shown, list);
  await load().catch((err) => { line.textContent = err.message; });
}
