// A status's attachments: pictures (and animations and videos) in a grid of one to four, the
// blurhash painted until each picture arrives, audio with the browser's own controls, other files
// as downloads; a sensitive post's media behind a cover until asked for, and a viewer that opens
// a picture large with its description (Escape closes, arrow keys move).
import { blurhashCanvas } from './blurhash.js';
import { h, icon } from './dom.js';
import { openDialog } from './ui.js';

const IN_GRID = new Set(['image', 'gifv', 'video']);
const KIND = { image: 'Picture', gifv: 'Animation', video: 'Video', audio: 'Audio', unknown: 'File' };

export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return '';
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

/** CSS object-position for a focus point (Mastodon's: x to the right, y upwards, -1..1), so a
 * cropped tile keeps the point that matters in view. */
export function focusPosition(focus) {
  const x = Number(focus?.x);
  const y = Number(focus?.y);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return '50% 50%';
  return `${clamp(((x + 1) / 2) * 100, 0, 100)}% ${clamp(((1 - y) / 2) * 100, 0, 100)}%`;
}

/** The picture with its blurhash under it until it has loaded (then `.loaded` on `holder`). */
export function pictureWithPlaceholder(attachment, holder, src, alt = attachment.description || '') {
  const placeholder = blurhashCanvas(attachment.blurhash)
    || h('span', { class: 'blurhash blank', 'aria-hidden': 'true' });
  const img = h('img', { src, alt, decoding: 'async' });
  img.style.objectPosition = focusPosition(attachment.meta?.focus);  // CSSOM: the CSP allows it
  const done = () => holder.classList.add('loaded');
  img.addEventListener('load', done, { once: true });
  img.addEventListener('error', () => holder.classList.add('broken'), { once: true });
  if (img.complete && img.naturalWidth) done();
  return [placeholder, img];
}

function gridTile(attachment, open) {
  const alt = attachment.description || '';
  const kind = KIND[attachment.type] || 'Picture';
  if (attachment.type === 'video') {
    // Native controls, in place: play, seek, full screen and captions are the browser's.
    const video = h('video', { class: 'media-video', src: attachment.url, controls: true,
      preload: 'metadata', playsinline: true, poster: attachment.preview_url || null,
      'aria-label': alt ? `Video: ${alt}` : 'Video', title: alt || null });
    return h('div', { class: 'media-tile video loaded' }, video);
  }
  const tile = h('button', { class: `media-tile ${attachment.type}`, type: 'button',
    'aria-label': alt ? `Open ${kind.toLowerCase()}: ${alt}` : `Open ${kind.toLowerCase()}`,
    onclick: open });
  if (attachment.type === 'gifv') {
    // An animation plays as a silent loop, as Mastodon's clients show a "GIF".
    tile.append(h('video', { src: attachment.url, autoplay: true, loop: true, muted: true,
      playsinline: true, poster: attachment.preview_url || null, 'aria-hidden': 'true' }));
    tile.classList.add('loaded');
  } else {
    tile.append(...pictureWithPlaceholder(attachment, tile,
      attachment.preview_url || attachment.url, alt));
  }
  if (alt) tile.append(h('span', { class: 'media-badge', 'aria-hidden': 'true', text: 'ALT' }));
  if (attachment.type === 'gifv') tile.append(h('span', { class: 'media-badge gif', 'aria-hidden': 'true', text: 'GIF' }));
  return tile;
}

/** A single picture keeps its own shape (within reason); several share a 16:9 box. */
function gridAspect(visual) {
  if (visual.length !== 1) return 16 / 9;
  const meta = visual[0].meta || {};
  const aspect = Number(meta.small?.aspect || meta.original?.aspect
    || (meta.original?.width / meta.original?.height));
  return Number.isFinite(aspect) && aspect > 0 ? clamp(aspect, 0.75, 2) : 16 / 9;
}

function fileSize(link, url) {
  // The size is not in the attachment's JSON; the file's own headers say it, when the file is
  // served from here (the page's connect-src allows no other origin).
  try {
    if (new URL(url, location.href).origin !== location.origin) return;
  } catch { return; }
  fetch(url, { method: 'HEAD' }).then((r) => {
    const size = formatBytes(Number(r.headers.get('Content-Length')));
    if (r.ok && size) link.querySelector('.media-file-size').textContent = size;
  }, () => {});
}

function otherItem(attachment) {
  const alt = attachment.description || '';
  if (attachment.type === 'audio') {
    return h('li', { class: 'media-audio' },
      h('figure', {},
        h('audio', { src: attachment.url, controls: true, preload: 'metadata',
          'aria-label': alt ? `Audio: ${alt}` : 'Audio' }),
        alt && h('figcaption', { text: alt })));
  }
  const extension = (new URL(attachment.url, location.href).pathname.match(/\.(\w{1,8})$/)?.[1]
    || '').toLowerCase();
  const name = `${alt || 'Attachment'}${extension ? `.${extension}` : ''}`;
  const link = h('a', { class: 'media-file', href: attachment.url, download: name,
    rel: 'noopener' },
  icon('file'),
  h('span', { class: 'media-file-name', text: alt || 'Attachment' }),
  h('span', { class: 'media-file-type', text: extension ? extension.toUpperCase() : 'File' }),
  h('span', { class: 'media-file-size' }),
  icon('download', 'Download'));
  fileSize(link, attachment.url);
  return h('li', {}, link);
}

/** A status's attachments, or null when it has none. opts: sensitive (covered until shown),
 * reason (said on the cover), shown (already uncovered), onToggle(shown). */
export function mediaGallery(attachments, opts = {}) {
  const ready = (attachments || []).filter((a) => a.url || a.preview_url);
  if (!ready.length) return null;
  const visual = ready.filter((a) => IN_GRID.has(a.type));
  const others = ready.filter((a) => !IN_GRID.has(a.type));
  const openable = visual.filter((a) => a.type !== 'video');
  const grid = visual.length ? h('div', { class: `media-grid count-${Math.min(visual.length, 4)}` },
    visual.slice(0, 4).map((a) => gridTile(a, () => openViewer(openable, openable.indexOf(a)))))
    : null;
  grid?.style.setProperty('--media-aspect', String(gridAspect(visual)));
  const list = others.length ? h('ul', { class: 'media-list' }, others.map(otherItem)) : null;
  const wrap = h('div', { class: 'status-media' }, grid, list);
  if (!opts.sensitive) return wrap;

  const reveal = h('button', { class: 'media-reveal', type: 'button' },
    icon('eyeOff'), h('strong', { text: opts.reason || 'Sensitive content' }),
    h('span', { text: 'Show' }));
  const hide = h('button', { class: 'icon-button media-hide', type: 'button',
    'aria-label': 'Hide media', title: 'Hide media' }, icon('eyeOff'));
  const set = (shown, focus = false) => {
    wrap.classList.toggle('concealed', !shown);
    for (const part of [grid, list]) if (part) part.inert = !shown;
    reveal.hidden = shown;
    hide.hidden = !shown;
    if (!shown) wrap.querySelectorAll('video, audio').forEach((m) => m.pause());
    if (focus) (shown ? hide : reveal).focus();
    opts.onToggle?.(shown);
  };
  reveal.addEventListener('click', () => set(true, true));
  hide.addEventListener('click', () => set(false, true));
  wrap.append(reveal, hide);
  set(Boolean(opts.shown));
  return wrap;
}

/** The viewer: one attachment large with its description, the others a key away. */
export function openViewer(items, start = 0) {
  if (!items.length) return null;
  let at = start;
  const figure = h('figure', { class: 'viewer-figure' });
  const counter = h('p', { class: 'viewer-counter', 'aria-live': 'polite' });
  const step = (delta) => show(at + delta);
  const prev = h('button', { class: 'icon-button viewer-prev', type: 'button',
    'aria-label': 'Previous', title: 'Previous (←)', onclick: () => step(-1) }, icon('left'));
  const next = h('button', { class: 'icon-button viewer-next', type: 'button',
    'aria-label': 'Next', title: 'Next (→)', onclick: () => step(1) }, icon('right'));
  const nav = h('div', { class: 'viewer-nav', hidden: items.length < 2 }, prev, counter, next);
  const dialog = openDialog({ title: 'Picture', body: [figure, nav], wide: true });
  dialog.classList.add('viewer');
  const title = dialog.querySelector('.dialog-header h2');

  function show(index) {
    at = (index + items.length) % items.length;
    const attachment = items[at];
    const alt = attachment.description || '';
    const kind = KIND[attachment.type] || 'Picture';
    const stage = h('div', { class: 'viewer-stage' });
    if (attachment.type === 'gifv') {
      stage.append(h('video', { src: attachment.url, autoplay: true, loop: true, muted: true,
        playsinline: true, controls: true, 'aria-label': alt || kind }));
      stage.classList.add('loaded');
    } else {
      stage.append(...pictureWithPlaceholder(attachment, stage, attachment.url, alt));
    }
    figure.replaceChildren(stage, h('figcaption', { class: alt ? 'viewer-alt' : 'viewer-alt none',
      text: alt || 'No description given.' }));
    title.textContent = items.length > 1 ? `${kind} ${at + 1} of ${items.length}` : kind;
    counter.textContent = `${at + 1} / ${items.length}`;
  }
  dialog.addEventListener('keydown', (event) => {
    if (items.length < 2 || event.target.closest?.('video, audio, input, textarea')) return;
    if (event.key === 'ArrowRight') step(1);
    else if (event.key === 'ArrowLeft') step(-1);
    else return;
    event.preventDefault();
  });
  show(start);
  return dialog;
}
