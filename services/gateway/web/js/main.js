// Boot: finish a sign-in coming back from the OAuth pages, or show the landing page, or load the
// signed-in account and start the shell, the stream, the shortcuts and the router.
import { api, onNotMember, onUnauthorized, session } from './api.js';
import { finishSignIn, forgetToken } from './auth.js';
import { h } from './dom.js';
import { startShortcuts } from './keyboard.js';
import { renderLanding } from './landing.js';
import { buildShell, markCurrentNav } from './layout.js';
import { renderMembership } from './membership.js';
import { startRouter } from './router.js';
import { startStreaming } from './stream.js';

const root = document.getElementById('root');

function bootError(message) {
  root.classList.remove('booting');
  root.replaceChildren(h('main', { class: 'landing', id: 'main' },
    h('section', { class: 'landing-hero' },
      h('h1', { text: 'Hubbub is not answering' }),
      h('p', { class: 'landing-lead', text: message }),
      h('div', { class: 'landing-actions' },
        h('button', { class: 'button primary', type: 'button', text: 'Try again',
          onclick: () => location.reload() })))));
}

async function callback() {
  try {
    const returnTo = await finishSignIn(new URLSearchParams(location.search));
    history.replaceState({}, '', returnTo);
    return true;
  } catch (err) {
    history.replaceState({}, '', '/');
    renderLanding(root, { message: err.message });
    return false;
  }
}

async function boot() {
  if (location.pathname === '/web/callback' && !(await callback())) return;
  const invite = location.pathname.match(/^\/invite\/([^/]+)$/);
  if (!session.token) {
    renderLanding(root, { inviteCode: invite ? decodeURIComponent(invite[1]) : '' });
    return;
  }
  if (invite) history.replaceState({}, '', '/');
  // Not a member yet (or no longer, mid-session): that screen replaces whatever was showing.
  onNotMember((standing) => renderMembership(root, standing));
  try {
    [session.me, session.instance, session.network] = await Promise.all([
      api.get('/api/v1/accounts/verify_credentials'),
      api.get('/api/v2/instance'),
      api.get('/api/hubbub/v1/network').catch((err) => {
        if (err.standing) throw err;
        return null;  // the shell works without it, only the admin screens need it
      }),
    ]);
  } catch (err) {
    if (err.standing) {
      renderMembership(root, err.standing);
    } else if (err.status === 401) {
      forgetToken();
      renderLanding(root, { message: 'Your session ended. Please sign in again.' });
    } else {
      bootError(err.message);
    }
    return;
  }
  onUnauthorized(() => {
    forgetToken();
    location.assign('/');
  });
  const main = buildShell(root);
  window.addEventListener('hubbub:route', markCurrentNav);
  startStreaming();
  startShortcuts();
  startRouter(main);
}

boot();
