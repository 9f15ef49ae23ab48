// Signing in: the OAuth authorization-code flow with PKCE against this Hubbub. The client
// registers itself once (POST /api/v1/apps, kept in localStorage); the PKCE verifier and state
// live in sessionStorage only for the round trip through the sign-in page.
import { api, request, session } from './api.js';
import { sha256 } from './sha256.js';

const APP_KEY = 'hubbub.app';
const TOKEN_KEY = 'hubbub.token';
const FLOW_KEY = 'hubbub.oauth';
// admin:*: the network admin screens; the gateway serves them only to a network's admins.
const SCOPES = 'read write follow push admin:read admin:write';

const redirectUri = () => `${location.origin}/web/callback`;

function base64url(bytes) {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(bytes = 32) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

async function challengeFor(verifier) {
  return base64url(await sha256(new TextEncoder().encode(verifier)));
}

// A code that cannot exist: the server answers 400 (invalid_grant) for an app it knows and 401
// (invalid_client) for one it forgot, e.g. after its data was reset.
async function stillKnown(app) {
  const response = await fetch('/oauth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: 'probe', redirect_uri: app.redirect_uri,
      client_id: app.client_id, client_secret: app.client_secret,
    }),
  });
  return response.status !== 401;
}

async function registeredApp() {
  const saved = JSON.parse(localStorage.getItem(APP_KEY) || 'null');
  if (saved && saved.redirect_uri === redirectUri() && saved.scopes === SCOPES
      && await stillKnown(saved)) return saved;
  const made = await api.post('/api/v1/apps', {
    client_name: 'Hubbub Web', redirect_uris: redirectUri(), scopes: SCOPES,
    website: location.origin,
  }, { auth: false });
  const app = { client_id: made.client_id, client_secret: made.client_secret,
    redirect_uri: redirectUri(), scopes: SCOPES };
  localStorage.setItem(APP_KEY, JSON.stringify(app));
  return app;
}

/** Off to the gateway's sign-in (or sign-up) page; it comes back to /web/callback. */
export async function beginSignIn({ signUp = false, inviteCode = '', returnTo = '/' } = {}) {
  const app = await registeredApp();
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(FLOW_KEY, JSON.stringify({ verifier, state, returnTo }));
  const query = new URLSearchParams({
    response_type: 'code', client_id: app.client_id, redirect_uri: app.redirect_uri,
    scope: SCOPES, state, code_challenge: await challengeFor(verifier),
    code_challenge_method: 'S256',
  });
  if (inviteCode) query.set('invite_code', inviteCode);
  location.assign(`/oauth/${signUp ? 'sign_up' : 'authorize'}?${query}`);
}

/** The callback: check the state, exchange the code with the verifier, keep the token. */
export async function finishSignIn(params) {
  const flow = JSON.parse(sessionStorage.getItem(FLOW_KEY) || 'null');
  sessionStorage.removeItem(FLOW_KEY);
  if (params.get('error')) {
    throw new Error(params.get('error') === 'access_denied'
      ? 'Sign-in was cancelled.'
      : params.get('error_description') || 'Sign-in failed.');
  }
  if (!flow || !params.get('code') || params.get('state') !== flow.state) {
    throw new Error('This sign-in was not started in this tab, or it expired. Please sign in again.');
  }
  const app = JSON.parse(localStorage.getItem(APP_KEY) || 'null');
  if (!app) throw new Error('This browser forgot the sign-in. Please sign in again.');
  const { data } = await request('POST', '/oauth/token', {
    auth: false,
    form: {
      grant_type: 'authorization_code', code: params.get('code'),
      redirect_uri: app.redirect_uri, client_id: app.client_id,
      client_secret: app.client_secret, code_verifier: flow.verifier,
    },
  });
  session.token = data.access_token;
  localStorage.setItem(TOKEN_KEY, data.access_token);
  return flow.returnTo || '/';
}

export function forgetToken() {
  session.token = null;
  localStorage.removeItem(TOKEN_KEY);
}

/** Sign out revokes the token on the server, then forgets it here. */
export async function signOut() {
  const app = JSON.parse(localStorage.getItem(APP_KEY) || 'null');
  const token = session.token;
  try {
    if (app && token) {
      await request('POST', '/oauth/revoke', {
        auth: false,
        form: { client_id: app.client_id, client_secret: app.client_secret, token },
      });
    }
  } finally {
    forgetToken();
    location.assign('/');
  }
}

// Signing out (or in) in another tab changes this one too.
window.addEventListener('storage', (event) => {
  if (event.key === TOKEN_KEY && event.newValue !== session.token) location.reload();
});
