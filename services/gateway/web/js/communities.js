// Communities as cards and the join/leave button, shared by the list and the community page.
import { api, session } from './api.js';
import { rememberCommunity } from './cache.js';
import { append, h, icon } from './dom.js';
import { emit, toast } from './ui.js';

const ROLE = { owner: 'Owner', admin: 'Admin', member: 'Member', guest: 'Guest' };

export function hostedElsewhere(c) {
  return c.network?.domain && c.network.domain !== session.me.hubbub?.network ? c.network.domain : null;
}

export function communityBadges(c) {
  return [
    c.external && h('span', { class: 'badge warn', title: 'People from other companies can be invited as guests', text: 'External' }),
    c.membership === 'approval' && h('span', { class: 'badge', text: 'Approval needed' }),
    c.role && h('span', { class: `badge ${c.role === 'guest' ? 'warn' : 'brand'}`,
      text: c.role === 'guest' ? 'You are a guest' : ROLE[c.role] }),
    c.invited && !c.role && h('span', { class: 'badge brand', text: 'Invited' }),
  ];
}

function label(c) {
  if (c.role) return c.role === 'owner' ? null : 'Leave';
  if (c.requested) return 'Cancel request';
  if (c.invited) return 'Accept invitation';
  return c.membership === 'approval' ? 'Request to join' : 'Join';
}

export function membershipButton(c, onChange) {
  const text = label(c);
  if (!text) return null;
  const leaving = c.role || c.requested;
  const button = h('button', { type: 'button', class: `button small${leaving ? '' : ' primary'}`,
    text, 'aria-label': `${text}: ${c.name}` });
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      const updated = await api.post(`/api/hubbub/v1/communities/${c.id}/${leaving ? 'leave' : 'join'}`);
      rememberCommunity(updated);
      toast(updated.role ? `You joined ${updated.name}.` : updated.requested
        ? `Asked to join ${updated.name}.` : `You left ${updated.name}.`);
      emit('memberships');
      onChange(updated);
    } catch (err) {
      toast(err.message, 'error');
      button.disabled = false;
    }
  });
  return button;
}

export function communityCard(c) {
  const card = h('li', { class: 'community-card' });
  const paint = (current) => {
    const host = hostedElsewhere(current);
    card.replaceChildren();
    append(card, [
      h('span', { class: 'community-icon' }, icon('users')),
      h('div', { class: 'community-body' },
        h('a', { class: 'community-name', href: `/web/communities/${current.id}`, text: current.name }),
        current.description && h('p', { class: 'community-description', text: current.description }),
        h('p', { class: 'community-meta' },
          h('span', { text: `${current.members_count} ${current.members_count === 1 ? 'member' : 'members'}` }),
          host && h('span', { text: `Hosted by ${host}` }),
          communityBadges(current))),
      membershipButton(current, paint)]);
  };
  paint(c);
  return card;
}

export function createCommunityForm(onCreated) {
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const form = h('form', { class: 'stack-form' },
    h('label', { for: 'community-name', text: 'Name' }),
    h('input', { id: 'community-name', name: 'name', type: 'text', required: true, maxlength: 100 }),
    h('label', { for: 'community-description', text: 'Description' }),
    h('textarea', { id: 'community-description', name: 'description', rows: 3, maxlength: 500 }),
    h('fieldset', { class: 'choices' }, h('legend', { text: 'Who can join' }),
      h('label', { class: 'checkbox' }, h('input', { type: 'radio', name: 'membership', value: 'open', checked: true }),
        'Anyone in your network'),
      h('label', { class: 'checkbox' }, h('input', { type: 'radio', name: 'membership', value: 'approval' }),
        'People you approve')),
    h('label', { class: 'checkbox' }, h('input', { type: 'checkbox', name: 'external' }),
      'External: invite guests from other companies'),
    error,
    h('div', { class: 'dialog-actions' },
      h('button', { class: 'button primary', type: 'submit', text: 'Create community' })));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const field = (name) => form.elements.namedItem(name);
      const made = await api.post('/api/hubbub/v1/communities', {
        name: field('name').value.trim(), description: field('description').value.trim(),
        membership: field('membership').value, external: field('external').checked,
      });
      rememberCommunity(made);
      emit('memberships');
      onCreated(made);
    } catch (err) {
      error.hidden = false;
      error.textContent = err.message;
    }
  });
  return form;
}
