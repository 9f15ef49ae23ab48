// One WebSocket to /api/v1/streaming for the whole page, multiplexing streams by subscribe
// messages. Live delivery is at-most-once: when the socket drops, it reconnects with backoff,
// subscribes again, and tells every watcher to catch up by REST (since_id).
import { session } from './api.js';

const watchers = new Map();  // stream key -> Set of { onEvent, onReconnect }
let socket = null;
let attempt = 0;
let retryTimer = null;
let everOpened = false;
let stopped = false;
const statusListeners = new Set();

function subscribeMessage(key, type = 'subscribe') {
  if (key.startsWith('community:')) {
    return { type, stream: 'community', community: key.slice('community:'.length) };
  }
  return { type, stream: key };
}

function send(message) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function setStatus(state) {
  statusListeners.forEach((fn) => fn(state));
}

export function onConnectionChange(fn) {
  statusListeners.add(fn);
  return () => statusListeners.delete(fn);
}

function connect() {
  if (stopped || !session.token) return;
  clearTimeout(retryTimer);
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  // The token travels as the subprotocol, so it stays out of URLs and logs.
  const ws = new WebSocket(`${scheme}://${location.host}/api/v1/streaming`, session.token);
  socket = ws;
  ws.addEventListener('open', () => {
    const reconnected = everOpened;
    everOpened = true;
    attempt = 0;
    for (const key of watchers.keys()) send(subscribeMessage(key));
    setStatus('up');
    if (reconnected) {
      for (const set of watchers.values()) set.forEach((w) => w.onReconnect?.());
    }
  });
  ws.addEventListener('message', (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    if (!message.event) return;
    let payload = message.payload;
    if (typeof payload === 'string' && message.event !== 'delete') {
      try { payload = JSON.parse(payload); } catch { return; }
    }
    for (const key of message.stream || []) {
      watchers.get(key)?.forEach((w) => w.onEvent(message.event, payload));
    }
  });
  ws.addEventListener('close', (event) => {
    if (socket !== ws) return;
    socket = null;
    if (event.code === 4001) { stopped = true; setStatus('unauthorized'); return; }
    setStatus('down');
    scheduleReconnect();
  });
}

function scheduleReconnect() {
  if (stopped) return;
  attempt += 1;
  const delay = Math.min(30_000, 1000 * 2 ** Math.min(attempt - 1, 5));
  retryTimer = setTimeout(connect, delay * (0.75 + Math.random() / 2));
}

/** Watch a stream; returns the function that stops watching. */
export function watch(key, onEvent, onReconnect) {
  const watcher = { onEvent, onReconnect };
  let set = watchers.get(key);
  if (!set) {
    set = new Set();
    watchers.set(key, set);
    send(subscribeMessage(key));
  }
  set.add(watcher);
  if (!socket) connect();
  return () => {
    set.delete(watcher);
    if (set.size === 0 && watchers.get(key) === set) {
      watchers.delete(key);
      send(subscribeMessage(key, 'unsubscribe'));
    }
  };
}

export function startStreaming() {
  stopped = false;
  connect();
  // Back online, or back to the tab: do not wait for the backoff timer.
  const nudge = () => { if (!socket && !stopped) { attempt = 0; connect(); } };
  window.addEventListener('online', nudge);
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') nudge();
  });
}

/** For tests and debugging: drop the connection as a network failure would. */
export function dropConnection() {
  socket?.close();
}
window.hubbubStream = { drop: dropConnection };
