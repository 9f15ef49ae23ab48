// Your profile as others see it: picture, header, name and bio. Pictures go up as Mastodon
// clients send them (multipart PATCH /api/v1/accounts/update_credentials, whose answer waits
// for the server to crop and clean them) and come off with DELETE /api/v1/profile/avatar or
// /header, which put the default back.
import { api, sendForm, session } from '../api.js';
import { avatar, displayName, h, icon, nextId, profilePath } from '../dom.js';
import { emit } from '../ui.js';
import { act, statusLine } from '../admin/common.js';

const MISSING = /\/(avatars|headers)\/original\/missing\.png$/;
const PICTURE_TYPES = 'image/png,image/jpeg,image/gif,image/webp,image/avif,image/heic';
const PICTURES = {
  avatar: { label: 'Profile picture', hint: 'Square, shown beside your posts. PNG, JPEG, GIF or WebP.' },
  header: { label: 'Header', hint: 'A wide picture across the top of your profile (1500 × 500).' },
};

const hasPicture = (url) => Boolean(url) && !MISSING.test(url);

/** The signed-in account changed: the whole client shows the new one. */
function changed(me) {
  session.me = { ...session.me, ...me };
  emit('me', session.me);
}

function preview() {
  const me = session.me;
  const header = hasPicture(me.header)
    ? h('img', { class: 'profile-header-img', src: me.header_static || me.header, alt: 'Your header' })
    : null;
  const pictured = avatar(me, 88);
  if (pictured.tagName === 'IMG') pictured.alt = 'Your profile picture';
  return h('div', { class: 'profile-card profile-preview', 'aria-label': 'Preview', role: 'group' },
    h('div', { class: 'profile-banner' }, header),
    h('div', { class: 'profile-top' }, pictured),
    h('p', { class: 'profile-name' }, h('bdi', { text: displayName(me) })),
    h('p', { class: 'profile-acct' }, h('a', { href: profilePath(me), text: `@${me.acct}` })));
}

function pictureControl(kind, line, repaint) {
  const { label, hint } = PICTURES[kind];
  const hintId = nextId('hint');
  const input = h('input', { type: 'file', name: kind, accept: PICTURE_TYPES, class: 'attach-input',
    tabindex: '-1', 'aria-label': label });
  const upload = h('button', { class: 'button small', type: 'button', 'aria-describedby': hintId },
    icon('image'), `Upload ${label.toLowerCase()}`);
  const remove = h('button', { class: 'button small danger', type: 'button' },
    icon('trash'), `Remove ${label.toLowerCase()}`);
  const bar = h('progress', { max: '100', value: '0', hidden: true, class: 'attachment-progress',
    'aria-label': `Uploading ${label.toLowerCase()}` });
  const paint = () => { remove.hidden = !hasPicture(session.me[kind]); };
  upload.addEventListener('click', () => input.click());
  input.addEventListener('change', async () => {
    const [file] = input.files;
    input.value = '';
    if (!file) return;
    const form = new FormData();
    form.append(kind, file, file.name);
    bar.hidden = false;
    bar.value = 0;
    line.textContent = `Uploading ${label.toLowerCase()}…`;
    await act(upload, line, async () => {
      const { data } = await sendForm('PATCH', '/api/v1/accounts/update_credentials', form, {
        onProgress: (fraction) => {
          bar.value = Math.round(fraction * 100);
          if (fraction >= 1) line.textContent = `Processing ${label.toLowerCase()}…`;
        } });
      changed(data);
      repaint();
    }, `${label} updated.`);
    bar.hidden = true;
    paint();
  });
  remove.addEventListener('click', async () => {
    await act(remove, line, async () => {
      changed(await api.del(`/api/v1/profile/${kind}`));
      repaint();
    }, `${label} removed.`);
    paint();
    upload.focus();
  });
  paint();
  return h('div', { class: 'picture-control' },
    h('h3', { text: label }),
    h('p', { id: hintId, class: 'field-hint', text: hint }),
    h('div', { class: 'picture-actions' }, upload, remove, input), bar);
}

export async function render(root) {
  const line = statusLine();
  let shown = preview();
  const repaint = () => {
    const fresh = preview();
    shown.replaceWith(fresh);
    shown = fresh;
  };
  const nameId = nextId('display-name');
  const noteId = nextId('note');
  const me = session.me;
  const name = h('input', { id: nameId, type: 'text', maxlength: 30, value: me.display_name || '' });
  const note = h('textarea', { id: noteId, rows: 4, maxlength: 500 });
  note.value = me.source?.note ?? '';
  const save = h('button', { class: 'button primary', type: 'submit', text: 'Save profile' });
  const form = h('form', { class: 'admin-form', 'aria-label': 'Name and bio' },
    h('div', { class: 'field' }, h('label', { for: nameId, text: 'Display name' }), name),
    h('div', { class: 'field' }, h('label', { for: noteId, text: 'Bio' }), note),
    save);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await act(save, line, async () => {
      changed(await api.patch('/api/v1/accounts/update_credentials',
        { display_name: name.value.trim(), note: note.value }));
      repaint();
    }, 'Profile saved.');
  });
  root.append(shown,
    h('div', { class: 'picture-controls' },
      pictureControl('avatar', line, repaint), pictureControl('header', line, repaint)),
    line, form);
}
