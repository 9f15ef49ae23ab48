// Outgoing webhooks: a network's (the admin tab) or one community's (/web/webhooks?community=ID,
// for its admins). List, create (the signing secret shown once), enable or disable, rotate the
// secret, send a test ping, read the delivery log and replay dead letters. The gateway checks
// who may do what (routes/webhooks.py); this page only shows it.
import { api } from '../api.js';
import { h } from '../dom.js';
import { confirmDialog, openDialog } from '../ui.js';
import { act, field, statusLine, when } from './common.js';

const PATH = '/api/hubbub/v1/webhooks';
const EVENTS = [
  ['status.created', 'Post created'], ['status.updated', 'Post edited'],
  ['status.deleted', 'Post deleted'], ['mention.created', 'Mention'],
  ['member.joined', 'Member joined'], ['member.left', 'Member left'],
  ['follow.created', 'Follow (network only)'],
];

function secretBox(box, secret, label) {
  box.hidden = false;
  const id = `webhook-secret-${Date.now()}`;
  box.replaceChildren(h('label', { for: id, text: label }),
    h('input', { id, readonly: true, value: secret }),
    h('p', { class: 'field-hint', text: 'Copy it now: it is not shown again. Receivers verify '
      + 'the webhook-signature header with it (Standard Webhooks).' }));
}

function attemptLine(a) {
  const outcome = a.ok ? `${a.status_code} OK` : (a.status_code ? `${a.status_code}` : 'no answer');
  return h('li', {}, h('span', { text: `${when(a.at)} · ${outcome} · ${a.latency_ms} ms` }),
    a.error ? h('span', { class: 'muted', text: ` · ${a.error}` }) : null);
}

function deliveryRow(hook, d, line, reload) {
  const replay = h('button', { class: 'button small', type: 'button', text: 'Replay',
    'aria-label': `Replay delivery ${d.id}` });
  replay.addEventListener('click', async () => {
    if (await act(replay, line, () => api.post(`${PATH}/${hook.id}/deliveries/${d.id}/replay`),
      `Delivery ${d.id} sent again.`)) reload();
  });
  return h('li', { class: 'admin-row' },
    h('div', {}, h('strong', { text: `${d.type} · ${d.state}` }),
      h('p', { class: 'muted', text: `webhook-id ${d.id} · ${d.attempts_count} attempt(s) · `
        + `${when(d.created_at)}${d.next_attempt_at ? ` · next ${when(d.next_attempt_at)}` : ''}` }),
      h('ul', { class: 'webhook-attempts', 'aria-label': 'Attempts' }, d.attempts.map(attemptLine))),
    d.state === 'pending' ? null : replay);
}

async function showDeliveries(hook, dead) {
  const line = statusLine();
  const list = h('ul', { class: 'admin-list', 'aria-label': dead ? 'Dead letters' : 'Deliveries' });
  const more = h('button', { class: 'button small', type: 'button', text: 'Older', hidden: true });
  let next = null;
  async function load(reset = true) {
    const page = await api.page(`${PATH}/${hook.id}/${dead ? 'dead_letters' : 'deliveries'}`,
      reset ? {} : next);
    next = page.items.length ? page.next : null;
    more.hidden = !next;
    const rows = page.items.map((d) => deliveryRow(hook, d, line, () => load()));
    if (reset) list.replaceChildren(...rows); else list.append(...rows);
    if (reset && !page.items.length) list.append(h('li', { class: 'muted', text: 'Nothing yet.' }));
  }
  more.addEventListener('click', () => load(false).catch((err) => { line.textContent = err.message; }));
  openDialog({ title: `${dead ? 'Dead letters' : 'Delivery log'} · ${hook.url}`, wide: true,
    body: h('div', {}, line, list, more) });
  await load().catch((err) => { line.textContent = err.message; });
}

function hookRow(hook, line, secret, reload) {
  const button = (text, label) => h('button', { class: 'button small', type: 'button', text,
    'aria-label': `${label} ${hook.url}` });
  const toggle = button(hook.enabled ? 'Disable' : 'Enable', hook.enabled ? 'Disable' : 'Enable');
  toggle.addEventListener('click', async () => {
    if (await act(toggle, line, () => api.patch(`${PATH}/${hook.id}`, { enabled: !hook.enabled }),
      hook.enabled ? 'Webhook disabled.' : 'Webhook enabled.')) reload();
  });
  const ping = button('Ping', 'Send a test event to');
  ping.addEventListener('click', () => act(ping, line, async () => {
    const d = await api.post(`${PATH}/${hook.id}/ping`);
    line.textContent = d.state === 'delivered' ? 'Ping delivered.'
      : `Ping failed: ${d.last_error || d.state}. It will be retried.`;
  }));
  const rotate = button('Rotate secret', 'Rotate the secret of');
  rotate.addEventListener('click', async () => {
    const sure = await confirmDialog({ title: 'Rotate the signing secret?', confirm: 'Rotate',
      text: 'A new secret signs from now on; the old one keeps signing beside it for 24 hours.' });
    if (!sure) return;
    let made;
    if (await act(rotate, line, async () => {
      made = await api.post(`${PATH}/${hook.id}/rotate`, { keep_previous_seconds: 86400 });
    }, 'Secret rotated.')) secretBox(secret, made.secret, `New secret for ${hook.url}`);
  });
  const log = button('Deliveries', 'Delivery log of');
  log.addEventListener('click', () => showDeliveries(hook, false));
  const dead = button('Dead letters', 'Dead letters of');
  dead.addEventListener('click', () => showDeliveries(hook, true));
  const remove = h('button', { class: 'button small danger', type: 'button', text: 'Delete',
    'aria-label': `Delete ${hook.url}` });
  remove.addEventListener('click', async () => {
    const sure = await confirmDialog({ title: 'Delete this webhook?', danger: true,
      confirm: 'Delete', text: `${hook.url} will hear of nothing more.` });
    if (sure && await act(remove, line, () => api.del(`${PATH}/${hook.id}`), 'Webhook deleted.')) reload();
  });
  const state = hook.enabled ? 'enabled' : `disabled${hook.disabled_reason ? `: ${hook.disabled_reason}` : ''}`;
  return h('li', { class: 'admin-row' },
    h('div', {}, h('strong', { text: hook.url }),
      h('p', { class: 'muted', text: `${hook.events.join(', ')} · ${state} · created ${when(hook.created_at)}` })),
    h('div', { class: 'admin-actions' }, toggle, ping, rotate, log, dead, remove));
}

export async function render(root, ctx = {}) {
  const community = ctx.query?.get('community') || null;
  const line = statusLine();
  const secret = h('div', { class: 'admin-secret', hidden: true });
  const list = h('ul', { class: 'admin-list', 'aria-label': 'Webhooks' });
  async function load() {
    const hooks = await api.get(PATH, community ? { community_id: community } : undefined);
    list.replaceChildren(...hooks.map((hook) => hookRow(hook, line, secret, load)));
    if (!hooks.length) list.append(h('li', { class: 'muted', text: 'No webhooks yet.' }));
  }
  const boxes = EVENTS.filter(([name]) => !(community && name === 'follow.created'))
    .map(([name, text]) => h('label', { class: 'checkbox' },
      h('input', { type: 'checkbox', name: 'webhook-event', value: name }), ` ${text}`));
  const form = h('form', { class: 'admin-form', 'aria-label': 'Create a webhook' },
    field('webhook-url', 'Receiver URL', { type: 'url', required: true,
      placeholder: 'https://partner.example/hubbub' },
    'http or https, on a public address (or one your operator allowed).'),
    h('fieldset', {}, h('legend', { text: 'Events' }), ...boxes),
    h('button', { class: 'button primary', type: 'submit', text: 'Create webhook' }));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const url = form.elements.namedItem('webhook-url').value.trim();
    const events = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
    let made;
    if (await act(form.querySelector('button[type=submit]'), line, async () => {
      made = await api.post(PATH, { url, events, ...(community ? { community_id: community } : {}) });
    }, 'Webhook created.')) {
      secretBox(secret, made.secret, `Signing secret for ${made.url}`);
      form.reset();
      load();
    }
  });
  root.append(form, line, secret, list);
  await load().catch((err) => { line.textContent = err.message; });
}
