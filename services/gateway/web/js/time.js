// Times as people read them, in the browser's language: "3m ago", "yesterday", "12 Mar".
import { h } from './dom.js';

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'narrow' });
const shortDate = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const longDate = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });

const UNITS = [['second', 60], ['minute', 60], ['hour', 24], ['day', 7]];

export function relativeTime(date, now = Date.now()) {
  let delta = (date.getTime() - now) / 1000;
  if (Math.abs(delta) < 10) return relative.format(0, 'second');
  for (const [unit, size] of UNITS) {
    if (Math.abs(delta) < size) return relative.format(Math.round(delta), unit);
    delta /= size;
  }
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return (sameYear ? shortDate : longDate).format(date);
}

export function fullTime(date) {
  return full.format(date);
}

export function timeElement(iso) {
  const date = new Date(iso);
  return h('time', { datetime: iso, title: fullTime(date), dataset: { relative: '' },
    text: relativeTime(date) });
}

// One timer keeps every relative time on the page current.
setInterval(() => {
  for (const el of document.querySelectorAll('time[data-relative]')) {
    el.textContent = relativeTime(new Date(el.dateTime));
  }
}, 30_000);
