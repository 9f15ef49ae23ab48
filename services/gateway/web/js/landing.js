// Signed out: what Hubbub is, and the way in (sign in, or create an account, maybe invited).
import { beginSignIn } from './auth.js';
import { h, icon } from './dom.js';

function feature(name, title, text) {
  return h('li', { class: 'feature' }, icon(name),
    h('div', {}, h('h3', { text: title }), h('p', { text })));
}

export function renderLanding(root, { inviteCode = '', message = '' } = {}) {
  const error = h('p', { class: 'landing-error', role: 'alert', hidden: !message, text: message });
  const go = (signUp) => async (event) => {
    event.currentTarget.disabled = true;
    try {
      const back = location.pathname.startsWith('/invite/') || location.pathname === '/web/callback'
        ? '/' : location.pathname + location.search;
      await beginSignIn({ signUp, inviteCode, returnTo: back });
    } catch (err) {
      error.hidden = false;
      error.textContent = err.message;
      event.target.closest('button').disabled = false;
    }
  };
  root.classList.remove('booting');
  root.replaceChildren(h('main', { class: 'landing', id: 'main' },
    h('section', { class: 'landing-hero' },
      h('p', { class: 'landing-brand' },
        h('img', { src: `${root.dataset.assets}/icon.svg`, alt: '', width: 48, height: 48 }),
        h('span', { text: 'Hubbub' })),
      h('h1', { text: inviteCode ? "You're invited to Hubbub" : "Your company's conversations, live." }),
      h('p', { class: 'landing-lead', text: inviteCode
        ? 'Create your account with the e-mail address the invitation was sent to.'
        : 'Post short updates, follow colleagues, topics and communities, and see it all as it happens.' }),
      error,
      h('div', { class: 'landing-actions' },
        inviteCode ? null : h('button', { class: 'button primary', type: 'button', onclick: go(false),
          text: 'Sign in' }),
        h('button', { class: `button${inviteCode ? ' primary' : ''}`, type: 'button', onclick: go(true),
          text: 'Create account' }))),
    h('ul', { class: 'features', 'aria-label': 'What you can do' },
      feature('home', 'A live home timeline', 'Posts from people and hashtags you follow appear as they are written.'),
      feature('users', 'Communities', 'Teams, projects and partner spaces, with guests from other companies clearly marked.'),
      feature('bell', 'Notifications', 'Mentions, replies, favourites and follows, with an unread badge that keeps count.'))));
}
