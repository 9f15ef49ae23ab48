// A hashtag: its posts in your network (live, from the network stream) and follow/unfollow, which
// brings its posts into your home timeline.
import { api } from '../api.js';
import { forgetFollowedTags } from '../cache.js';
import { emptyState, h, pageHeader } from '../dom.js';
import { timeline } from '../timeline.js';
import { toast } from '../ui.js';

function followTagButton(tag) {
  const button = h('button', { type: 'button', class: 'button small' });
  let following = false;
  const paint = () => {
    button.className = `button small${following ? '' : ' primary'}`;
    button.textContent = following ? 'Unfollow' : 'Follow';
    button.setAttribute('aria-label', `${following ? 'Unfollow' : 'Follow'} #${tag}`);
  };
  paint();
  api.get(`/api/v1/tags/${encodeURIComponent(tag)}`)
    .then((t) => { following = t.following; paint(); }, () => {});
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const t = await api.post(`/api/v1/tags/${encodeURIComponent(tag)}/${following ? 'unfollow' : 'follow'}`);
      following = t.following;
      forgetFollowedTags();
      toast(following ? `Following #${tag}: its posts come to your home timeline.` : `Unfollowed #${tag}.`);
      paint();
    } catch (err) {
      toast(err.message, 'error');
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

export function render(root, ctx) {
  const tag = ctx.params[0].replace(/^#/, '').toLowerCase();
  ctx.setTitle(`#${tag}`);
  const feed = timeline({
    path: `/api/v1/timelines/tag/${encodeURIComponent(tag)}`,
    stream: 'public:local',
    accept: (status) => (status.tags || []).some((t) => t.name === tag),
    label: `Posts tagged #${tag}`,
    empty: () => emptyState(`No posts with #${tag} yet`,
      'Posts in your network that use it will show up here as they are written.'),
  });
  root.append(pageHeader(`#${tag}`, followTagButton(tag)), feed.el);
  return { cleanup: feed.destroy };
}
