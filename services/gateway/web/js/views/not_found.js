// Any path the client does not know.
import { emptyState, h, pageHeader } from '../dom.js';

export function render(root, ctx) {
  ctx.setTitle('Not found');
  root.append(pageHeader('Not found'), emptyState('This page does not exist',
    'The link may be broken, or the page was removed.',
    h('a', { class: 'button primary', href: '/', text: 'Go home' })));
  return null;
}
