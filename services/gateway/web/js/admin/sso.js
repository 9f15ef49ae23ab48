// Single sign-on: the network's OpenID Connect provider. The client secret is write-only: the
// server never sends it back, and leaving the field empty keeps the one it has.
import { api } from '../api.js';
import { h } from '../dom.js';
import { confirmDialog } from '../ui.js';
import { act, field, statusLine } from './common.js';

const PATH = '/api/hubbub/v1/network/sso';

export async function render(root) {
  const line = statusLine();
  let current = null;
  try {
    current = await api.get(PATH);
  } catch (err) {
    if (err.status !== 404) line.textContent = err.message;
  }
  const form = h('form', { class: 'admin-form', 'aria-label': 'Single sign-on settings' },
    field('sso-issuer', 'Issuer URL', { type: 'url', required: true, value: current?.issuer }),
    field('sso-client-id', 'Client ID', { required: true, value: current?.client_id }),
    field('sso-client-secret', 'Client secret', { type: 'password', autocomplete: 'off',
      required: !current }, current ? 'Leave empty to keep the secret already set.' : ''),
    field('sso-email-claim', 'E-mail claim', { required: true, value: current?.email_claim || 'email' }),
    field('sso-display-name', 'Display name', { required: true, value: current?.display_name },
      'Shown on the sign-in page, e.g. "Acme ID".'),
    h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'sso-required',
      checked: current?.required }), ' Required: members sign in only with single sign-on'),
    h('div', { class: 'admin-row-actions' },
      h('button', { class: 'button primary', type: 'submit', text: 'Save single sign-on' }),
      current && h('button', { class: 'button danger', type: 'button', text: 'Remove single sign-on',
        onclick: async (event) => {
          const sure = await confirmDialog({ title: 'Remove single sign-on?', danger: true,
            confirm: 'Remove', text: 'Members sign in with their passwords again.' });
          if (sure && await act(event.target, line, () => api.del(PATH), 'Single sign-on removed.')) {
            root.replaceChildren();
            render(root);
          }
        } })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = (name) => form.elements.namedItem(name).value.trim();
    const body = { issuer: value('sso-issuer'), client_id: value('sso-client-id'),
      email_claim: value('sso-email-claim'), display_name: value('sso-display-name'),
      required: form.elements.namedItem('sso-required').checked };
    if (value('sso-client-secret')) body.client_secret = value('sso-client-secret');
    if (await act(form.querySelector('[type=submit]'), line, () => api.put(PATH, body),
      'Single sign-on saved.')) form.elements.namedItem('sso-client-secret').value = '';
  });
  root.append(form, line);
}
