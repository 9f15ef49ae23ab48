// Your own settings, one tab each (js/settings/): content filters, your profile, public feeds.
import { h, pageHeader } from '../dom.js';

const SECTIONS = [['filters', 'Filters'], ['profile', 'Profile'], ['feeds', 'Public feeds']];

export async function render(root, ctx) {
  const section = ctx.params[0] || 'filters';
  const [, label] = SECTIONS.find(([name]) => name === section);
  ctx.setTitle(`${label} · Settings`);
  root.append(pageHeader('Settings'),
    h('nav', { class: 'tabs', 'aria-label': 'Settings sections' },
      SECTIONS.map(([name, text]) => h('a', { class: 'tab', href: `/web/settings/${name}`,
        'aria-current': name === section ? 'page' : null, text }))));
  const body = h('section', { class: 'admin-section', 'aria-label': label });
  root.append(body);
  const view = await import(`../settings/${section}.js`);
  return view.render(body, ctx);
}
