// Client-side routes over the History API. A view module exports render(root, ctx) and may return
// { cleanup, onShow, onHide }. The home view is kept alive while you look elsewhere, so Back finds
// it where you left it, live updates included.
import { h } from './dom.js';

const ROUTES = [
  [/^\/$/, 'home'],
  [/^\/web\/notifications$/, 'notifications'],
  [/^\/web\/notifications\/requests$/, 'notification_requests'],
  [/^\/web\/conversations$/, 'conversations'],
  [/^\/web\/network(?:\/(people))?$/, 'network'],
  [/^\/web\/communities$/, 'communities'],
  [/^\/web\/communities\/(\d+)(?:\/(members|integrations))?$/, 'community'],
  [/^\/web\/search$/, 'search'],
  [/^\/web\/(bookmarks|favourites)$/, 'saved'],
  [/^\/web\/scheduled$/, 'scheduled'],
  [/^\/@([A-Za-z0-9_]+)(?:\/(followers|following))?$/, 'profile'],
  [/^\/@([A-Za-z0-9_]+)\/(\d+)$/, 'thread'],
  [/^\/tags\/([^/]+)$/, 'tag'],
  [/^\/web\/admin(?:\/(domains|members|requests|moderation|sso|scim|webhooks|audit))?$/, 'admin'],
  [/^\/web\/webhooks$/, 'webhooks'],
  [/^\/web\/settings(?:\/(filters|profile|feeds))?$/, 'settings'],
];
const KEEP_ALIVE = new Set(['/']);

let main;
let current = null;
const kept = new Map();
let baseTitle = 'Hubbub';
let titlePrefix = '';

export function matchRoute(path) {
  for (const [pattern, name] of ROUTES) {
    const found = path.match(pattern);
    if (found) return { name, params: found.slice(1).map((p) => (p ? decodeURIComponent(p) : p)) };
  }
  return null;
}

export function setTitle(title) {
  baseTitle = title;
  document.title = `${titlePrefix}${title} · Hubbub`;
}

export function setTitlePrefix(prefix) {
  titlePrefix = prefix;
  setTitle(baseTitle);
}

export function navigate(to, { replace = false } = {}) {
  const url = new URL(to, location.origin);
  if (url.pathname + url.search === location.pathname + location.search && !replace) {
    if (current?.path === url.pathname) window.scrollTo({ top: 0 });
    return;
  }
  history.replaceState({ ...history.state, scrollY: window.scrollY }, '');
  history[replace ? 'replaceState' : 'pushState']({}, '', url);
  show(url, { scrollY: 0 });
}

function leave() {
  if (!current) return;
  if (KEEP_ALIVE.has(current.path)) {
    current.scrollY = window.scrollY;
    current.focused = current.root.contains(document.activeElement) ? document.activeElement : null;
    current.handle?.onHide?.();
    kept.set(current.path, current);
  } else {
    current.controller.abort();
    current.handle?.cleanup?.();
  }
  current.root.remove();
  current = null;
}

async function show(url, { scrollY = 0, initial = false } = {}) {
  leave();
  window.dispatchEvent(new CustomEvent('hubbub:route'));
  const path = url.pathname;
  const revived = kept.get(path);
  if (revived && revived.search === url.search) {
    kept.delete(path);
    current = revived;
    main.append(revived.root);
    setTitle(revived.title);
    window.scrollTo({ top: revived.scrollY });
    revived.handle?.onShow?.();
    (revived.focused?.isConnected ? revived.focused : revived.root.querySelector('h1'))
      ?.focus({ preventScroll: true });
    return;
  }
  const found = matchRoute(path) || { name: 'not_found', params: [] };
  const controller = new AbortController();
  const root = h('div', { class: `view view-${found.name}` });
  const entry = { path, search: url.search, root, controller, handle: null, title: 'Hubbub' };
  current = entry;
  main.append(root);
  window.scrollTo({ top: 0 });
  const ctx = {
    params: found.params,
    query: url.searchParams,
    signal: controller.signal,
    setTitle: (title) => { entry.title = title; if (current === entry) setTitle(title); },
  };
  try {
    const view = await import(`./views/${found.name}.js`);
    if (current !== entry) return;
    entry.handle = (await view.render(root, ctx)) || null;
  } catch (err) {
    if (err.name !== 'AbortError') console.error(err);
  }
  if (current !== entry) return;
  if (scrollY) window.scrollTo({ top: scrollY });
  if (!initial && !root.contains(document.activeElement)) {
    root.querySelector('h1')?.focus({ preventScroll: true });
  }
}

/** Drop the views kept alive (home): the next visit renders them afresh, e.g. once your
 * filters changed and what they show changes with them. */
export function forgetKept() {
  for (const entry of kept.values()) {
    entry.controller.abort();
    entry.handle?.cleanup?.();
  }
  kept.clear();
}

export function refresh() {
  const url = new URL(location.href);
  kept.delete(url.pathname);
  current?.root.remove();
  current?.controller.abort();
  current?.handle?.cleanup?.();
  current = null;
  show(url);
}

function isInternal(anchor, url) {
  if (url.origin === location.origin) return true;
  // Mentions and hashtags carry the server's public URL, which may name this host differently.
  return anchor.matches('.mention, .hashtag, .u-url') && /^\/(@|tags\/)/.test(url.pathname);
}

export function startRouter(mainElement) {
  main = mainElement;
  history.scrollRestoration = 'manual';
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey
        || event.shiftKey || event.altKey) return;
    const anchor = event.target.closest('a[href]');
    if (!anchor || anchor.target === '_blank' || anchor.hasAttribute('download')) return;
    const url = new URL(anchor.href, location.href);
    if (!isInternal(anchor, url) || !matchRoute(url.pathname)) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener('popstate', (event) => {
    show(new URL(location.href), { scrollY: event.state?.scrollY || 0 });
  });
  show(new URL(location.href), { initial: true });
}
