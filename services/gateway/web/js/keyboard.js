// Keyboard shortcuts, as Mastodon and most readers have them. Ignored while typing.
import { openComposer } from './compose.js';
import { h } from './dom.js';
import { navigate } from './router.js';
import { openDialog } from './ui.js';

const SHORTCUTS = [
  ['j / k', 'Next / previous post'],
  ['Enter or o', 'Open the post'],
  ['r', 'Reply'],
  ['f', 'Favourite'],
  ['b', 'Boost'],
  ['n', 'New post'],
  ['/', 'Search'],
  ['g then h', 'Home'],
  ['g then n', 'Notifications'],
  ['g then c', 'Communities'],
  ['?', 'This help'],
];

function typing(target) {
  return target.closest?.('input, textarea, select, [contenteditable=""], [contenteditable=true], dialog');
}

function posts() {
  return [...document.querySelectorAll('#main .status')];
}

function move(step) {
  const all = posts();
  if (!all.length) return;
  const at = all.indexOf(document.activeElement.closest?.('.status'));
  const target = all[Math.max(0, Math.min(all.length - 1, at === -1 ? 0 : at + step))];
  target.focus();
  target.scrollIntoView({ block: 'nearest' });
}

function act(name) {
  const card = document.activeElement.closest?.('.status');
  card?.querySelector(`.action-${name}`)?.click();
}

function help() {
  openDialog({ title: 'Keyboard shortcuts', body: h('dl', { class: 'shortcuts' },
    SHORTCUTS.map(([keys, what]) => [h('dt', {}, h('kbd', { text: keys })), h('dd', { text: what })])) });
}

export function startShortcuts() {
  let pendingG = false;
  document.addEventListener('keydown', (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (pendingG) {
      pendingG = false;
      const to = { h: '/', n: '/web/notifications', c: '/web/communities' }[event.key];
      if (to) { event.preventDefault(); navigate(to); }
      return;
    }
    const handlers = {
      j: () => move(1), k: () => move(-1),
      r: () => act('reply'), f: () => act('favourite'), b: () => act('boost'),
      n: () => openComposer(),
      '/': () => {
        const box = document.querySelector('#search-q');
        if (box) box.focus();
        else navigate('/web/search');
      },
      '?': help,
      g: () => { pendingG = true; setTimeout(() => { pendingG = false; }, 1500); },
    };
    const handler = handlers[event.key];
    if (!handler) return;
    event.preventDefault();
    handler();
  });
}
