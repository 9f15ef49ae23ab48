// Network admin: domains, members and roles, the approval queue, moderation, single sign-on,
// SCIM tokens and the audit log, one tab each (js/admin/). Owners and admins see every tab,
// moderators the moderation one only; the gateway refuses everyone else whatever this page
// shows.
import { session } from '../api.js';
import { emptyState, h, pageHeader } from '../dom.js';

const SECTIONS = [
  ['domains', 'Domains'], ['members', 'Members'], ['requests', 'Approvals'],
  ['moderation', 'Moderation'], ['sso', 'Single sign-on'], ['scim', 'SCIM tokens'],
  ['webhooks', 'Webhooks'], ['audit', 'Audit log'],
];
const MODERATION = ['moderation'];

export const isAdmin = () => ['owner', 'admin'].includes(session.network?.role);
export const isModerator = () => isAdmin() || session.network?.role === 'moderator';

export async function render(root, ctx) {
  const allowed = isAdmin() ? SECTIONS : SECTIONS.filter(([name]) => MODERATION.includes(name));
  const section = ctx.params[0] || (isAdmin() ? 'domains' : 'moderation');
  const [, label] = SECTIONS.find(([name]) => name === section);
  ctx.setTitle(`${label} · Network admin`);
  root.append(pageHeader('Network admin'));
  if (!allowed.some(([name]) => name === section)) {
    root.append(emptyState(isModerator() ? 'Only your network\'s owners and admins can see this page'
      : 'Only your network\'s owners, admins and moderators can see this page', ''));
    return null;
  }
  root.append(h('nav', { class: 'tabs', 'aria-label': 'Admin sections' },
    allowed.map(([name, text]) => h('a', { class: 'tab', href: `/web/admin/${name}`,
      'aria-current': name === section ? 'page' : null, text }))));
  const body = h('section', { class: 'admin-section', 'aria-label': label });
  root.append(body);
  const view = await import(`../admin/${section}.js`);
  return view.render(body, ctx);
}
