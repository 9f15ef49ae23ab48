// The e-mail domains the network claimed: people signing up with an address there join it.
import { api } from '../api.js';
import { h } from '../dom.js';
import { confirmDialog } from '../ui.js';
import { act, field, statusLine, when } from './common.js';

export async function render(root) {
  const line = statusLine();
  const list = h('ul', { class: 'admin-list', 'aria-label': 'Claimed domains' });
  async function load() {
    const domains = await api.get('/api/hubbub/v1/network/domains');
    list.replaceChildren(...domains.map((d) => {
      const release = h('button', { class: 'button small danger', type: 'button',
        text: 'Release', 'aria-label': `Release ${d.domain}`, disabled: d.primary });
      release.addEventListener('click', async () => {
        const sure = await confirmDialog({ title: `Release ${d.domain}?`, danger: true,
          text: 'New sign-ups with this domain no longer join your network.', confirm: 'Release' });
        if (sure && await act(release, line, () => api.del(
          `/api/hubbub/v1/network/domains/${encodeURIComponent(d.domain)}`), `${d.domain} released.`)) load();
      });
      return h('li', { class: 'admin-row' },
        h('div', {}, h('strong', { text: d.domain }), d.primary && ' (primary)',
          h('p', { class: 'muted', text: `Claimed ${when(d.claimed_at)}` })), release);
    }));
  }
  const form = h('form', { class: 'admin-form', 'aria-label': 'Claim a domain' },
    field('claim-domain', 'Domain', { required: true, placeholder: 'example.com' }),
    h('button', { class: 'button primary', type: 'submit', text: 'Claim domain' }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const input = form.elements.namedItem('claim-domain');
    const domain = input.value.trim();
    if (await act(form.querySelector('button'), line, () => api.post(
      '/api/hubbub/v1/network/domains', { domain }), `${domain} claimed.`)) {
      input.value = '';
      load();
    }
  });
  root.append(form, line, list);
  await load().catch((err) => { line.textContent = err.message; });
}
