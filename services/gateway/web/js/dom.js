// Building DOM without HTML strings: every user-controlled value goes in as text. The one
// exception is a status's `content` (and a profile's `note`), which the server renders and
// escapes; richContent() still keeps only the few tags it produces.
import { ICONS } from './icons.js';

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of [children].flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';

export function icon(name, label) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('class', `icon icon-${name}`);
  svg.setAttribute('focusable', 'false');
  if (label) {
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', label);
  } else {
    svg.setAttribute('aria-hidden', 'true');
  }
  for (const d of ICONS[name] || []) {
    const path = document.createElementNS(SVG, 'path');
    path.setAttribute('d', d);
    svg.append(path);
  }
  return svg;
}

const ALLOWED = {
  P: [], BR: [], SPAN: ['class', 'translate'],
  A: ['href', 'class', 'rel', 'target', 'translate'],
};

/** The server's status HTML as a fragment, keeping only the markup the server writes. */
export function richContent(html) {
  const template = document.createElement('template');
  template.innerHTML = html || '';  // inert: nothing in a template runs or loads
  scrub(template.content);
  return template.content;
}

function scrub(node) {
  for (const child of [...node.childNodes]) {
    if (child.nodeType === Node.TEXT_NODE) continue;
    if (child.nodeType !== Node.ELEMENT_NODE) { child.remove(); continue; }
    const allowed = ALLOWED[child.tagName];
    if (!allowed) { child.replaceWith(document.createTextNode(child.textContent)); continue; }
    for (const attr of [...child.attributes]) {
      if (!allowed.includes(attr.name)) child.removeAttribute(attr.name);
    }
    if (child.tagName === 'A') {
      const href = child.getAttribute('href') || '';
      if (!/^https?:\/\//i.test(href) && !href.startsWith('/')) child.removeAttribute('href');
      if (child.target === '_blank') child.rel = 'nofollow noopener noreferrer';
    }
    scrub(child);
  }
}

const DEFAULT_AVATAR = /\/avatars\/original\/missing\.png$/;

function hue(text) {
  let sum = 0;
  for (const c of String(text)) sum = (sum * 31 + c.charCodeAt(0)) % 360;
  return sum;
}

/** The person's picture, or their initial on a colour of their own when they have none. */
export function avatar(account, size = 48) {
  const src = account.avatar_static || account.avatar;
  if (src && !DEFAULT_AVATAR.test(src)) {
    return h('img', { class: 'avatar', src, alt: '', width: size, height: size,
      loading: 'lazy', decoding: 'async' });
  }
  const initial = h('span', { class: 'avatar initials', 'aria-hidden': 'true',
    text: ([...displayName(account)][0] || '?').toUpperCase() });
  initial.style.setProperty('--size', `${size}px`);  // CSSOM: allowed by the page's CSP
  initial.style.setProperty('--hue', String(hue(account.id || account.username)));
  return initial;
}

export function displayName(account) {
  return account.display_name?.trim() || account.username;
}

export function profilePath(account) {
  return `/@${encodeURIComponent(account.acct || account.username)}`;
}

export function statusPath(status) {
  return `${profilePath(status.account)}/${encodeURIComponent(status.id)}`;
}

export function spinner(label = 'Loading') {
  return h('div', { class: 'spinner', role: 'status' }, h('span', { class: 'sr-only', text: label }));
}

export function emptyState(title, text, ...actions) {
  return h('div', { class: 'empty' },
    h('p', { class: 'empty-title', text: title }),
    text && h('p', { class: 'empty-text', text }),
    actions.length ? h('div', { class: 'empty-actions' }, actions) : null);
}

export function errorState(message, retry) {
  return h('div', { class: 'empty error-state', role: 'alert' },
    h('p', { class: 'empty-title', text: 'Something went wrong' }),
    h('p', { class: 'empty-text', text: message }),
    retry && h('div', { class: 'empty-actions' },
      h('button', { class: 'button', type: 'button', onclick: retry, text: 'Try again' })));
}

export function pageHeader(title, ...actions) {
  return h('header', { class: 'page-header' },
    h('h1', { tabindex: '-1', text: title }),
    actions.length ? h('div', { class: 'page-actions' }, actions) : null);
}

let uid = 0;
export function nextId(prefix = 'id') {
  uid += 1;
  return `${prefix}-${uid}`;
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** Calls load() when el comes near the viewport; recheck() after a load keeps going while it
 * still is (an observer only reports changes, and a short page leaves the footer in view). */
export function whenNear(el, load) {
  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) load();
  }, { rootMargin: '800px 0px' });
  observer.observe(el);
  return {
    recheck() {
      requestAnimationFrame(() => {
        if (el.isConnected && el.getBoundingClientRect().top < window.innerHeight + 800) load();
      });
    },
    stop: () => observer.disconnect(),
  };
}

/** A feed of articles (role "feed") that may be empty: ARIA wants a feed to hold articles, so
 * while it holds none (nothing yet, or an empty list's message) it is a labelled group, and it
 * becomes a feed with its first article, however and whenever that is added. */
export function feedOf(el) {
  const sync = () => el.setAttribute('role',
    el.querySelector(':scope > article, :scope > [role="article"]') ? 'feed' : 'group');
  new MutationObserver(sync).observe(el, { childList: true });
  sync();
  return el;
}
