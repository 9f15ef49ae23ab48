// A sign-up that is not yet a member: its address unconfirmed, or confirmed and awaiting a
// network admin's approval. Every API call but a few answers 403 until then, so instead of the
// shell this shows what to do, and carries on by itself once it is done.
import { api } from './api.js';
import { signOut } from './auth.js';
import { h } from './dom.js';

const POLL_MS = 3000;
let shown = null;  // the standing on screen: the 403s of calls in flight must not redraw it

async function resend(form, status) {
  const button = form.querySelector('button[type=submit]');
  const email = form.elements.namedItem('email').value.trim();
  button.disabled = true;
  status.textContent = 'Sending…';
  try {
    await api.post('/api/v1/emails/confirmations', email ? { email } : {});
    status.textContent = `A new confirmation link is on its way${email ? ` to ${email}` : ''}.`;
  } catch (err) {
    status.textContent = err.message;
  } finally {
    button.disabled = false;
  }
}

function unconfirmed() {
  const status = h('p', { class: 'landing-status', role: 'status', 'aria-live': 'polite' });
  const form = h('form', { class: 'resend-form', 'aria-label': 'Resend the confirmation e-mail' },
    h('label', { for: 'resend-email', text: 'Send it to another address (optional)' }),
    h('input', { id: 'resend-email', name: 'email', type: 'email', autocomplete: 'email' }),
    h('div', { class: 'landing-actions' },
      h('button', { class: 'button primary', type: 'submit', text: 'Resend the e-mail' })));
  form.addEventListener('submit', (event) => { event.preventDefault(); resend(form, status); });
  // Confirmed in another tab (or on a phone): start again, as a member or awaiting approval.
  const poll = () => api.get('/api/v1/emails/check_confirmation').then(
    (confirmed) => (confirmed ? location.reload() : setTimeout(poll, POLL_MS)),
    () => setTimeout(poll, POLL_MS * 3));
  setTimeout(poll, POLL_MS);
  return [
    h('h1', { tabindex: '-1', text: 'Confirm your e-mail' }),
    h('p', { class: 'landing-lead', text: 'We sent a confirmation link to the address you '
      + 'signed up with. Open it and press the button there to join your organisation\'s '
      + 'network; this page carries on by itself.' }),
    form, status];
}

function pending() {
  // The admin's approval arrives as the first call that no longer answers 403.
  const poll = () => api.get('/api/v1/accounts/verify_credentials').then(
    () => location.reload(), () => setTimeout(poll, POLL_MS));
  setTimeout(poll, POLL_MS);
  return [
    h('h1', { tabindex: '-1', text: 'Awaiting approval' }),
    h('p', { class: 'landing-lead', text: 'Your address is confirmed. An admin of your '
      + 'network approves each new member: you will get an e-mail when they have, and this '
      + 'page carries on by itself.' })];
}

export function renderMembership(root, standing) {
  if (shown === standing) return;
  shown = standing;
  root.classList.remove('booting');
  const main = h('main', { class: 'landing membership', id: 'main' },
    h('section', { class: 'landing-hero' },
      h('p', { class: 'landing-brand' },
        h('img', { src: `${root.dataset.assets}/icon.svg`, alt: '', width: 48, height: 48 }),
        h('span', { text: 'Hubbub' })),
      ...(standing === 'pending' ? pending() : unconfirmed()),
      h('div', { class: 'landing-actions' },
        h('button', { class: 'button', type: 'button', text: 'Sign out', onclick: signOut }))));
  root.replaceChildren(main);
  main.querySelector('h1').focus();
}
