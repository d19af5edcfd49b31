// Where the member is in a thread: the furthest reply they have seen on screen is sent to the
// server (`PUT /threads/{id}/read`) a moment after they stop scrolling; never backwards (the
// server keeps the furthest too), never for a visitor.
import { api, withSession } from './api/client.svelte';

export function trackReading(thread: number, container: HTMLElement): () => void {
  let furthest = 0;
  let sent = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const send = () => {
    timer = null;
    if (furthest <= sent) return;
    const reply = furthest;
    sent = reply;
    void withSession(() =>
      api.PUT('/api/v1/threads/{id}/read', {
        params: { path: { id: thread } },
        body: { last_read_reply_id: reply },
      }),
    );
  };

  const seen = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        if (!entry.isIntersecting) continue;
        const id = Number((entry.target as HTMLElement).dataset.replyId);
        if (id > furthest) furthest = id;
      }
      if (furthest > sent && !timer) timer = setTimeout(send, 1500);
    },
    { threshold: 0.5 },
  );
  const observeAll = () => container.querySelectorAll('[data-reply-id]').forEach((el) => seen.observe(el));
  observeAll();
  // Replies added later (more pages, a new reply) are watched too.
  const added = new MutationObserver(observeAll);
  added.observe(container, { childList: true });
  // Leaving the page sends what is pending.
  const leave = () => {
    if (timer) {
      clearTimeout(timer);
      send();
    }
  };
  window.addEventListener('pagehide', leave);

  return () => {
    leave();
    seen.disconnect();
    added.disconnect();
    window.removeEventListener('pagehide', leave);
  };
}

/** Opens the thread at the first post after `lastRead` (unread), if there is one. */
export function firstUnreadAfter(replyIds: number[], lastRead: number | null | undefined): number | null {
  if (lastRead == null) return null;
  const index = replyIds.indexOf(lastRead);
  if (index < 0) return replyIds.find((id) => id > lastRead) ?? null;
  return replyIds[index + 1] ?? null;
}
