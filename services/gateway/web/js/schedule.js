// Picking when a scheduled post goes out: a local date-time input, and the server's rules
// (at least 5 minutes ahead, at most 2 years) checked before asking it.
import { h, nextId } from './dom.js';

export const MIN_AHEAD_MS = 5 * 60 * 1000;
const MAX_AHEAD_MS = 2 * 365 * 86400 * 1000;

function pad(n) { return String(n).padStart(2, '0'); }

/** A Date as a datetime-local input's value, in the browser's time zone. */
export function localValue(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
    + `T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** A labelled datetime-local input; `.when()` is the chosen Date (or null). */
export function whenInput(label, initial) {
  const id = nextId('when');
  const input = h('input', { id, type: 'datetime-local', required: true,
    min: localValue(new Date(Date.now() + MIN_AHEAD_MS)),
    value: localValue(initial || new Date(Date.now() + 60 * 60 * 1000)) });
  const field = h('div', { class: 'when-field' }, h('label', { for: id, text: label }), input);
  field.input = input;
  // datetime-local values carry no zone: the Date constructor reads them as local time.
  field.when = () => (input.value ? new Date(input.value) : null);
  return field;
}

/** Why this time cannot be used, or null. */
export function whenProblem(date) {
  if (!date || Number.isNaN(date.getTime())) return 'Pick a date and time.';
  if (date.getTime() < Date.now() + MIN_AHEAD_MS) return 'Pick a time at least 5 minutes from now.';
  if (date.getTime() > Date.now() + MAX_AHEAD_MS) return 'Pick a time within the next two years.';
  return null;
}
