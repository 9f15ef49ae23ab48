// A real OpenID provider (oidc-provider, certified) for the single sign-on tests, on 127.0.0.1.
//   node provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI
// Prints "ready ISSUER" once it listens. Besides the provider itself it answers, for the tests:
//   GET  /interaction/:uid            a plain login form (field "login": the user's id)
//   POST /interaction/:uid/login      signs that user in (no password: the tests are the users)
//   PUT  /test/users/:id              JSON claims of a user (email, email_verified, name, ...)
//   PUT  /test/id-token               JSON changes to every ID token issued from now on:
//        {"iss": ..., "aud": ..., "nonce": ..., "age": seconds in the past, "tamper": true}
//        (re-signed with the provider's key, except "tamper", which alters a signed token);
//        {} goes back to honest tokens.
import http from 'node:http';

import { SignJWT, exportJWK, generateKeyPair, decodeJwt, decodeProtectedHeader } from 'jose';
import Provider from 'oidc-provider';

const [port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const issuer = `http://127.0.0.1:${port}`;
const users = new Map();
let idTokenChanges = {};

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [signingJwk] },
  cookies: { keys: ['hubbub-test-cookie-key'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'],
            profile: ['name', 'preferred_username'] },
  // The user's claims in the ID token itself, as Entra ID, Google and Keycloak send them.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    if (!users.has(id)) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...users.get(id) }; } };
  },
  // First-party client: no consent screen (oidc-provider's documented recipe).
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

// The test's changes to an ID token, applied after oidc-provider made it.
async function altered(jwt) {
  const changes = idTokenChanges;
  if (!Object.keys(changes).length) return jwt;
  if (changes.tamper) {  // a claim changed after signing: the signature no longer matches
    const [head, body, signature] = jwt.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url'));
    claims.email = 'mallory@evil.test';
    return [head, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
  }
  const claims = decodeJwt(jwt);
  const age = changes.age || 0;
  const out = { ...claims, iat: claims.iat - age, exp: claims.exp - age };
  for (const name of ['iss', 'aud', 'nonce']) if (name in changes) out[name] = changes[name];
  return new SignJWT(out).setProtectedHeader(decodeProtectedHeader(jwt)).sign(privateKey);
}

const issueIdToken = provider.IdToken.prototype.issue;
provider.IdToken.prototype.issue = async function issue(...args) {
  return altered(await issueIdToken.apply(this, args));
};

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

function send(res, status, text, type = 'text/plain') {
  res.writeHead(status, { 'Content-Type': type });
  res.end(text);
}

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  try {
    const path = new URL(req.url, issuer).pathname;
    let m;
    if (req.method === 'PUT' && (m = path.match(/^\/test\/users\/([^/]+)$/))) {
      users.set(decodeURIComponent(m[1]), JSON.parse(await body(req)));
      return send(res, 204, '');
    }
    if (req.method === 'PUT' && path === '/test/id-token') {
      idTokenChanges = JSON.parse(await body(req));
      return send(res, 204, '');
    }
    if (req.method === 'GET' && (m = path.match(/^\/interaction\/([^/]+)$/))) {
      const { uid, prompt } = await provider.interactionDetails(req, res);
      return send(res, 200, `<!doctype html><title>Test provider: ${prompt.name}</title>
<form method="post" action="/interaction/${uid}/login">
<label for="login">User</label><input id="login" name="login"><button>Sign in</button>
</form>`, 'text/html');
    }
    if (req.method === 'POST' && (m = path.match(/^\/interaction\/([^/]+)\/login$/))) {
      const login = new URLSearchParams(await body(req)).get('login') || '';
      if (!users.has(login)) return send(res, 400, 'unknown user');
      return await provider.interactionFinished(req, res, { login: { accountId: login } },
                                                { mergeWithLastSubmission: false });
    }
    return callback(req, res);
  } catch (err) {
    send(res, 500, String(err));
  }
});

server.listen(Number(port), '127.0.0.1', () => console.log(`ready ${issuer}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
