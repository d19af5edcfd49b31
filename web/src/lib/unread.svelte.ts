// The unread notification count the header shows, kept live: after sign-in the app reads
// GET /notifications/stream with fetch (an EventSource cannot send the bearer token, and the
// refresh cookie is never a way in), updates the count on each `unread` event and tells the
// inbox of each new notification. The stream ends when the access token would expire; the
// client refreshes and reconnects with Last-Event-ID, so nothing is missed. Without a stream
// (an old proxy, an error) it falls back to fetching the count after each navigation.
import { api, bearer, refresh, session, withSession } from './api/client.svelte';
import type { Schemas } from './api/client.svelte';

export const unread = $state({ count: 0, live: false });

/** Newest first, as they arrive; the inbox page shows them above what it loaded. */
export const arrivals = $state<{ items: Schemas['NotificationView'][] }>({ items: [] });

export async function refreshUnread() {
  if (!session.user) {
    unread.count = 0;
    return;
  }
  if (unread.live) return;
  const { data } = await withSession(() => api.GET('/api/v1/notifications/unread-count'));
  unread.count = data?.unread ?? 0;
}

/** One parsed Server-Sent Event. */
interface StreamEvent {
  id?: string;
  event: string;
  data: string;
}

/** Splits the text received so far into whole events; returns them and the rest. */
export function parseEvents(text: string): { events: StreamEvent[]; rest: string } {
  const events: StreamEvent[] = [];
  const blocks = text.split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    const event: StreamEvent = { event: 'message', data: '' };
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id') event.id = value;
      else if (field === 'event') event.event = value;
      else if (field === 'data') event.data += value;
    }
    if (event.data) events.push(event);
  }
  return { events, rest };
}

let running: AbortController | null = null;

/** Keeps a stream open while the member is signed in; `stopLive` ends it. */
export function startLive() {
  if (running || !session.user || typeof ReadableStream === 'undefined') return;
  const controller = new AbortController();
  running = controller;
  void (async () => {
    let lastId: string | undefined;
    let pause = 1000;
    while (!controller.signal.aborted && session.user) {
      try {
        const headers: Record<string, string> = { ...bearer(), Accept: 'text/event-stream' };
        if (lastId) headers['Last-Event-ID'] = lastId;
        const response = await fetch('/api/v1/notifications/stream', {
          headers,
          signal: controller.signal,
        });
        if (response.status === 401) {
          if (!(await refresh())) break;
          continue;
        }
        if (!response.ok || !response.body) throw new Error(`stream: ${response.status}`);
        unread.live = true;
        pause = 1000;
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let text = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          const parsed = parseEvents(text + value);
          text = parsed.rest;
          for (const event of parsed.events) {
            if (event.id) lastId = event.id;
            if (event.event === 'unread') unread.count = JSON.parse(event.data).unread;
            if (event.event === 'notification') {
              arrivals.items = [JSON.parse(event.data), ...arrivals.items].slice(0, 50);
            }
          }
        }
        // The server ended it (the token's lifetime): a fresh token, then reconnect.
        await refresh();
      } catch {
        if (controller.signal.aborted) break;
        unread.live = false;
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, 30000);
      }
    }
    unread.live = false;
    if (running === controller) running = null;
  })();
}

export function stopLive() {
  running?.abort();
  running = null;
  unread.live = false;
  arrivals.items = [];
}
