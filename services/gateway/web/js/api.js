// The public API, as any Mastodon client calls it: bearer token, JSON in and out, pages by the
// Link header. Nothing here knows about the DOM.
export const session = {
  token: localStorage.getItem('hubbub.token'),
  me: null,          // the signed-in account (verify_credentials)
  instance: null,    // /api/v2/instance
  network: null,     // /api/hubbub/v1/network: its `role` is yours in it
};

export class ApiError extends Error {
  constructor(status, message, standing) {
    super(message);
    this.status = status;
    this.standing = standing;  // 'unconfirmed' or 'pending' for a sign-up not yet a member
  }
}

const listeners = { unauthorized: [], notMember: [] };
export function onUnauthorized(fn) { listeners.unauthorized.push(fn); }

// A sign-up's token before it is a member: every route but a few answers 403 with one of these
// (the gateway's scopes.py); the client shows what to do instead of broken pages.
export const NOT_A_MEMBER = {
  'Your login is missing a confirmed e-mail address': 'unconfirmed',
  'Your login is currently pending approval': 'pending',
};
export function onNotMember(fn) { listeners.notMember.push(fn); }

function urlFor(path, query) {
  const url = new URL(path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value == null || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => url.searchParams.append(`${key}[]`, v));
    else url.searchParams.set(key, value);
  }
  return url;
}

export async function request(method, path, { query, body, form, signal, auth = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (auth && session.token) headers.Authorization = `Bearer ${session.token}`;
  let payload;
  if (form) payload = new URLSearchParams(form);
  else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(urlFor(path, query), { method, headers, body: payload, signal });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, 'Hubbub cannot be reached. Check your connection and try again.');
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    if (response.status === 401 && auth && session.token) {
      listeners.unauthorized.forEach((fn) => fn());
    }
    const standing = response.status === 403 && auth ? NOT_A_MEMBER[data?.error] : undefined;
    if (standing) listeners.notMember.forEach((fn) => fn(standing));
    const message = data?.error_description || data?.error || `Request failed (${response.status})`;
    throw new ApiError(response.status, message.replace(/^Validation failed: /, ''), standing);
  }
  return { data, link: parseLink(response.headers.get('Link')) };
}

function parseLink(header) {
  const links = {};
  for (const part of (header || '').split(',')) {
    const match = part.match(/<([^>]+)>\s*;\s*rel="(\w+)"/);
    if (match) links[match[2]] = new URL(match[1], location.origin);
  }
  return links;
}

export const api = {
  get: async (path, query, opts) => (await request('GET', path, { query, ...opts })).data,
  post: async (path, body, opts) => (await request('POST', path, { body, ...opts })).data,
  put: async (path, body, opts) => (await request('PUT', path, { body, ...opts })).data,
  patch: async (path, body, opts) => (await request('PATCH', path, { body, ...opts })).data,
  del: async (path, opts) => (await request('DELETE', path, opts)).data,

  /** One page of a list; `next` is the query for the page after it (null at the end). */
  async page(path, query, opts) {
    const { data, link } = await request('GET', path, { query, ...opts });
    const next = link.next ? Object.fromEntries(link.next.searchParams) : null;
    return { items: data || [], next };
  },
};

// Said when an upload is refused without a reason of the server's own (a proxy's 413, say).
const UPLOAD_REFUSED = {
  413: 'The file is too large.',
  429: 'Too many uploads just now. Try again in a moment.',
  503: 'Media storage is unavailable. Try again in a moment.',
};

/** A multipart request (files) through XMLHttpRequest, the one browser API that reports upload
 * progress: onProgress(fraction 0..1) as bytes go out. Resolves to { data, status }; throws
 * ApiError as request() does (AbortError when the signal fires). */
export function sendForm(method, path, form, { onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, urlFor(path));
    xhr.setRequestHeader('Accept', 'application/json');
    if (session.token) xhr.setRequestHeader('Authorization', `Bearer ${session.token}`);
    xhr.responseType = 'text';
    if (onProgress) {
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
    }
    const aborted = () => reject(new DOMException('Upload cancelled', 'AbortError'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.addEventListener('abort', aborted);
    xhr.addEventListener('error', () => reject(new ApiError(0,
      'Hubbub cannot be reached. Check your connection and try again.')));
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON: a proxy's page */ }
      if (xhr.status >= 200 && xhr.status < 300) { resolve({ data, status: xhr.status }); return; }
      if (xhr.status === 401 && session.token) listeners.unauthorized.forEach((fn) => fn());
      const message = data?.error_description || data?.error || UPLOAD_REFUSED[xhr.status]
        || `Upload failed (${xhr.status})`;
      const said = message.replace(/^Validation failed: /, '');
      const err = new ApiError(xhr.status, said.charAt(0).toUpperCase() + said.slice(1));
      err.retryAfter = Number(xhr.getResponseHeader('Retry-After')) || null;
      reject(err);
    });
    if (signal?.aborted) { aborted(); return; }
    xhr.send(form);
  });
}

/** Snowflake ids are 64-bit: compare them as BigInt, never as floats. */
export function newer(a, b) {
  return BigInt(a) > BigInt(b);
}
