// Your public feeds: Atom, RSS and JSON Feed of your public posts, for feed readers outside the
// network (off by default). js/feeds.js draws the switch.
import { api } from '../api.js';
import { h } from '../dom.js';
import { feedSwitch } from '../feeds.js';

const PATH = '/api/hubbub/v1/feeds/settings';

export async function render(root, ctx) {
  const setting = await api.get(PATH, null, { signal: ctx.signal });
  root.append(
    h('h2', { text: 'Public feeds' }),
    feedSwitch(PATH, 'Publish my public posts as feeds',
      'Partners and customers can then follow your public posts in a feed reader, without an '
      + 'account here. Unlisted, private and direct posts, and community posts, never appear.',
      setting));
}
