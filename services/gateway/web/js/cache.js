// Small read-through caches for things many cards show: community names, followed tags.
import { api } from './api.js';

const communities = new Map();

export function community(id) {
  if (!communities.has(id)) {
    const found = api.get(`/api/hubbub/v1/communities/${encodeURIComponent(id)}`)
      .catch(() => null);
    communities.set(id, found);
  }
  return communities.get(id);
}

export function rememberCommunity(c) {
  communities.set(c.id, Promise.resolve(c));
}

let followedTags = null;
export function tagsFollowed() {
  if (!followedTags) {
    followedTags = api.get('/api/v1/followed_tags', { limit: 200 }).catch(() => []);
  }
  return followedTags;
}

export function forgetFollowedTags() { followedTags = null; }

// Hashtags seen in statuses this session: suggestions while typing #.
export const seenTags = new Set();
