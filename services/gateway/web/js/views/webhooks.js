// A community's webhooks, for its admins (/web/webhooks?community=ID); the network's are a tab
// of the network admin page. The section itself is js/admin/webhooks.js.
import { pageHeader } from '../dom.js';

export async function render(root, ctx) {
  ctx.setTitle('Webhooks');
  root.append(pageHeader(ctx.query.get('community') ? 'Community webhooks' : 'Webhooks'));
  const view = await import('../admin/webhooks.js');
  return view.render(root, ctx);
}
