// Network admin: domains, members and roles, the approval queue, single sign-on, SCIM tokens
// and the audit log, one tab each (js/admin/). Only owners and admins see the link; the gateway
// refuses everyone else whatever this page shows.
import { session } from '../api.js';
import { emptyState, h, pageHeader } from '../dom.js';

const SECTIONS = [
  ['domains', 'Domains'], ['members', 'Members'], ['requests', 'Approvals'],
  ['sso', 'Single sign-on'], ['scim', 'SCIM tokens'], ['audit', 'Audit log'],
];

export const isAdmin = () => ['owner', 'admin'].includes(session.network?.role);

export async function render(root, ctx) {
  const section = ctx.params[0] || 'domains';
  const [, label] = SECTIONS.find(([name]) => name === section);
  ctx.setTitle(`${label} · Network admin`);
  root.append(pageHeader('Network admin'));
  if (!isAdmin()) {
    root.append(emptyState('Only your network\'s owners and admins can see this page', ''));
    return null;
  }
  root.append(h('nav', { class: 'tabs', 'aria-label': 'Admin sections' },
    SECTIONS.map(([name, text]) => h('a', { class: 'tab', href: `/web/admin/${name}`,
      'aria-current': name === section ? 'page' : null, text }))));
  const body = h('section', { class: 'admin-section', 'aria-label': label });
  root.append(body);
  const view = await import(`../admin/${section}.js`);
  return view.render(body, ctx);
}
