// The composer's attachments: files picked, dropped or pasted are uploaded at once (POST
// /api/v2/media, with real progress). A small picture comes back processed (200, or 422 with the
// reason); anything answered 202 is watched until the server has processed it (GET
// /api/v1/media/:id answers 206 until then). Each tile shows its progress, its thumbnail, the
// server's reason when it refused the file, a description (alt text) and, for a picture, the
// point a cropped preview must keep in view. Descriptions and focus points are saved (PUT) just
// before the post goes out, so typing costs no requests.
import { api, ApiError, sendForm, session } from './api.js';
import { h, icon, nextId } from './dom.js';
import { focusPosition, formatBytes, pictureWithPlaceholder } from './media.js';

const POLL_FIRST_MS = 400;
const POLL_MAX_MS = 3000;
const POLL_GIVE_UP_MS = 5 * 60 * 1000;  // longer than any processing; then say so
const RETRYABLE = new Set([0, 429, 503]);  // the same file may go through a moment later
const KIND_NAME = { image: 'Picture', gifv: 'Animation', video: 'Video', audio: 'Audio', unknown: 'File' };

export function mediaLimits() {
  const config = session.instance?.configuration || {};
  const media = config.media_attachments || {};
  return {
    count: config.statuses?.max_media_attachments || 4,
    description: media.description_limit || 1500,
    imageBytes: media.image_size_limit || null,
    videoBytes: media.video_size_limit || null,
  };
}

/** Why the browser already knows the server would refuse this file (413), or null. */
function tooLarge(file, limits) {
  const limit = file.type.startsWith('image/') ? limits.imageBytes
    : /^(video|audio)\//.test(file.type) ? limits.videoBytes : null;
  return limit && file.size > limit
    ? `The file is too large (${formatBytes(file.size)}; at most ${formatBytes(limit)}).` : null;
}

const sameFocus = (a, b) => (a?.x ?? 0) === (b?.x ?? 0) && (a?.y ?? 0) === (b?.y ?? 0);
const focusParam = (f) => `${f.x.toFixed(2)},${f.y.toFixed(2)}`;
const round2 = (v) => Math.round(Math.min(1, Math.max(-1, v)) * 100) / 100;

function describeFocus(f) {
  const side = (v, neg, pos) => (Math.abs(v) < 0.15 ? '' : v < 0 ? neg : pos);
  const where = [side(f.y, 'bottom', 'top'), side(f.x, 'left', 'right')].filter(Boolean).join(' ');
  return where ? `${where} (x ${f.x.toFixed(2)}, y ${f.y.toFixed(2)})` : 'centre';
}

/** opts: existing (a status's media_attachments, when editing), onChange() after any change. */
export function attachmentEditor({ existing = [], onChange = () => {} } = {}) {
  const limits = mediaLimits();
  const items = [];
  const list = h('ul', { class: 'attachments', 'aria-label': 'Attachments' });
  const notice = h('p', { class: 'attachments-notice', role: 'status', hidden: true });
  // No accept filter: Hubbub takes any file (what is no picture, video or audio becomes a
  // download), and the server's sniffing, not the name, decides what a file is.
  const input = h('input', { type: 'file', multiple: true, class: 'attach-input', tabindex: '-1',
    'aria-hidden': 'true' });
  const button = h('button', { class: 'icon-button', type: 'button', 'aria-label': 'Attach files',
    title: 'Attach pictures, video, audio or files' }, icon('paperclip'));
  button.addEventListener('click', () => input.click());
  input.addEventListener('change', () => {
    add([...input.files]);
    input.value = '';  // the same file may be picked again after a removal
  });
  let blocked = null;  // why nothing may be attached now (a poll), or null

  function say(message) {
    notice.textContent = message || '';
    notice.hidden = !message;
  }

  function add(files) {
    if (!files.length) return;
    if (blocked) { say(blocked); return; }
    const room = limits.count - items.length;
    say(files.length > room ? `A post can have at most ${limits.count} attachments.` : '');
    for (const file of files.slice(0, Math.max(0, room))) {
      const item = { file, name: file.name || 'pasted file', type: file.type, description: '',
        focus: { x: 0, y: 0 }, saved: { description: '', focus: { x: 0, y: 0 } } };
      items.push(item);
      item.tile = tile(item);
      list.append(item.tile.el);
      const refused = tooLarge(file, limits);
      if (refused) fail(item, refused, false);
      else upload(item);
    }
    onChange();
  }

  function fromExisting(attachment) {
    const focus = attachment.meta?.focus ? { x: attachment.meta.focus.x, y: attachment.meta.focus.y }
      : { x: 0, y: 0 };
    const item = { existing: true, media: attachment, name: KIND_NAME[attachment.type] || 'File',
      type: attachment.type, description: attachment.description || '', focus,
      saved: { description: attachment.description || '', focus: { ...focus } } };
    items.push(item);
    item.tile = tile(item);
    list.append(item.tile.el);
    ready(item, attachment);
  }

  async function upload(item) {
    item.state = 'uploading';
    item.controller = new AbortController();
    item.tile.paint();
    const form = new FormData();
    form.append('file', item.file, item.name);
    try {
      const { data } = await sendForm('POST', '/api/v2/media', form, {
        signal: item.controller.signal,
        onProgress: (fraction) => item.tile.progress(fraction) });
      item.media = data;
      if (data.url) ready(item, data);
      else { item.state = 'processing'; item.tile.paint(); watch(item); }
    } catch (err) {
      if (err.name === 'AbortError') return;
      const wait = err.retryAfter ? ` (wait ${err.retryAfter} s)` : '';
      fail(item, `${err.message}${err.status === 429 ? wait : ''}`, RETRYABLE.has(err.status));
    }
    onChange();
  }

  /** Until the server has processed it: 206 while processing, 200 ready, 422 with its reason. */
  async function watch(item) {
    const started = Date.now();
    let pause = POLL_FIRST_MS;
    while (!item.removed && item.state === 'processing') {
      await new Promise((resolve) => { setTimeout(resolve, pause); });
      if (item.removed) return;
      pause = Math.min(POLL_MAX_MS, pause * 1.5);
      try {
        const media = await api.get(`/api/v1/media/${item.media.id}`);
        if (media?.url) { ready(item, media); break; }
      } catch (err) {
        if (!(err instanceof ApiError) || !RETRYABLE.has(err.status)) {
          fail(item, err.message, false);
          break;
        }
      }
      if (Date.now() - started > POLL_GIVE_UP_MS) {
        fail(item, 'The server is taking too long to process this file.', false);
        break;
      }
    }
    onChange();
  }

  function ready(item, media) {
    item.state = 'ready';
    item.media = media;
    item.error = null;
    item.tile.paint();
  }

  function fail(item, message, retryable) {
    item.state = 'failed';
    item.error = message;
    item.retryable = retryable;
    item.tile.paint();
  }

  function remove(item) {
    item.removed = true;
    item.controller?.abort();
    items.splice(items.indexOf(item), 1);
    item.tile.el.remove();
    // An upload nobody will attach: gone at once (the server's chore would, a day later). A
    // status's own attachment is only left out of the edit.
    if (item.media && !item.existing) api.del(`/api/v1/media/${item.media.id}`).catch(() => {});
    say('');
    onChange();
    (list.querySelector('.attachment-remove') || button).focus();
  }

  function tile(item) {
    const altId = nextId('alt');
    const hintId = nextId('focus-hint');
    const preview = h('div', { class: 'attachment-preview' });
    const name = h('p', { class: 'attachment-name' },
      h('span', { class: 'attachment-file', text: item.name }),
      item.file && h('span', { class: 'muted', text: `· ${formatBytes(item.file.size)}` }));
    const bar = h('progress', { class: 'attachment-progress', max: '100', value: '0',
      'aria-label': `Uploading ${item.name}` });
    const state = h('p', { class: 'attachment-state', 'aria-live': 'polite' });
    const error = h('p', { class: 'attachment-error', role: 'alert', hidden: true });
    const retry = h('button', { class: 'button small', type: 'button', hidden: true },
      icon('refresh'), 'Try again');
    retry.addEventListener('click', () => { item.error = null; upload(item); });
    const alt = h('textarea', { id: altId, class: 'attachment-alt', rows: 2,
      maxlength: limits.description, placeholder: 'Describe it for people who cannot see it' });
    alt.value = item.description;
    alt.addEventListener('input', () => { item.description = alt.value; });
    const altField = h('div', { class: 'attachment-alt-field' },
      h('label', { for: altId }, 'Alt text', h('span', { class: 'sr-only', text: ` for ${item.name}` })),
      alt);
    const removeButton = h('button', { class: 'icon-button attachment-remove', type: 'button',
      'aria-label': `Remove ${item.name}`, title: 'Remove' }, icon('x'));
    removeButton.addEventListener('click', () => remove(item));
    const el = h('li', { class: 'attachment' }, preview,
      h('div', { class: 'attachment-info' }, name, bar, state, error,
        h('p', { id: hintId, class: 'sr-only',
          text: 'Choose the point a cropped preview keeps in view: click the picture, or use the arrow keys.' }),
        altField, retry),
      removeButton);

    function picker(media) {
      const dot = h('span', { class: 'focus-dot', 'aria-hidden': 'true' });
      const pick = h('button', { class: 'focus-picker', type: 'button', 'aria-describedby': hintId });
      const [placeholder, img] = pictureWithPlaceholder(media, pick, media.preview_url || media.url, '');
      const size = media.meta?.small || media.meta?.original;
      if (size?.width && size?.height) {  // its box before it loads, for the blurhash
        img.width = size.width;
        img.height = size.height;
      }
      img.style.objectPosition = '';
      pick.append(placeholder, img, dot);
      const paintFocus = () => {
        const [x, y] = focusPosition(item.focus).split(' ');
        dot.style.left = x;
        dot.style.top = y;
        pick.setAttribute('aria-label', `Focus point of ${item.name}: ${describeFocus(item.focus)}`);
      };
      pick.addEventListener('click', (event) => {
        if (event.detail === 0) return;  // Enter or Space: the arrow keys move the point
        const box = img.getBoundingClientRect();
        if (!box.width || !box.height) return;
        item.focus = { x: round2(((event.clientX - box.left) / box.width) * 2 - 1),
          y: round2(1 - ((event.clientY - box.top) / box.height) * 2) };
        paintFocus();
      });
      pick.addEventListener('keydown', (event) => {
        const moves = { ArrowLeft: [-0.1, 0], ArrowRight: [0.1, 0], ArrowUp: [0, 0.1], ArrowDown: [0, -0.1] };
        const move = moves[event.key];
        if (!move) return;
        event.preventDefault();
        item.focus = { x: round2(item.focus.x + move[0]), y: round2(item.focus.y + move[1]) };
        paintFocus();
      });
      paintFocus();
      return pick;
    }

    function typeIcon() {
      const type = item.type || '';
      return icon(type.startsWith('image') ? 'image' : type.startsWith('video') || type === 'gifv'
        ? 'film' : type.startsWith('audio') ? 'music' : 'file');
    }

    return {
      el,
      // The bar says how far (to a screen reader too); the live line only what changes state,
      // not every percent.
      progress(fraction) {
        bar.value = Math.round(fraction * 100);
        bar.title = `${bar.value}%`;
      },
      paint() {
        el.dataset.state = item.state;
        bar.hidden = item.state !== 'uploading';
        if (item.state === 'uploading') { bar.value = 0; state.textContent = 'Uploading…'; }
        else if (item.state === 'processing') state.textContent = 'Processing…';
        else state.textContent = '';
        error.hidden = item.state !== 'failed';
        error.textContent = item.error || '';
        retry.hidden = !(item.state === 'failed' && item.retryable);
        altField.hidden = item.state === 'failed';
        const media = item.media;
        if (item.state === 'ready' && media?.type === 'image' && (media.preview_url || media.url)) {
          preview.replaceChildren(picker(media));
        } else if (item.state === 'ready' && media?.preview_url) {
          preview.replaceChildren(h('img', { src: media.preview_url, alt: '' }));
        } else {
          preview.replaceChildren(h('span', { class: 'attachment-icon' }, typeIcon()));
        }
      },
    };
  }

  existing.forEach(fromExisting);

  return {
    list,
    notice,
    button,
    input,
    add,
    count: () => items.length,
    busy: () => items.some((i) => i.state === 'uploading' || i.state === 'processing'),
    failed: () => items.some((i) => i.state === 'failed'),
    /** Attaching refused (a poll is open), with the reason; null allows it again. */
    block(reason) {
      blocked = reason;
      button.disabled = Boolean(reason);
      button.title = reason || 'Attach pictures, video, audio or files';
    },
    /** Saves new uploads' descriptions and focus points; what the post (or edit) sends. */
    async prepare({ edit = false } = {}) {
      const attributes = [];
      // Submitting waits for uploads and refuses failed ones (the composer's check), so every
      // item has its media here; the filter only keeps a mistake from becoming a TypeError.
      const attached = items.filter((i) => i.media && i.state === 'ready');
      for (const item of attached) {
        const changed = {};
        if (item.description !== item.saved.description) changed.description = item.description;
        if (item.media.type === 'image' && !sameFocus(item.focus, item.saved.focus)) {
          changed.focus = focusParam(item.focus);
        }
        if (!Object.keys(changed).length) continue;
        if (item.existing) {
          attributes.push({ id: item.media.id, description: item.description,
            ...(item.media.type === 'image' ? { focus: focusParam(item.focus) } : {}) });
        } else {
          item.media = await api.put(`/api/v1/media/${item.media.id}`, changed);
          item.saved = { description: item.description, focus: { ...item.focus } };
        }
      }
      const ids = attached.map((i) => i.media.id);
      if (!edit) return ids.length ? { media_ids: ids } : {};
      const before = existing.map((a) => a.id);
      const same = ids.length === before.length && ids.every((id, n) => id === before[n]);
      if (same && !attributes.length) return {};  // a text-only edit keeps them as they are
      return { media_ids: ids, media_attributes: attributes };
    },
    /** After posting: the uploads belong to the status now, so nothing is deleted. */
    reset() {
      for (const item of items) { item.removed = true; item.controller?.abort(); }
      items.length = 0;
      list.replaceChildren();
      say('');
    },
  };
}
