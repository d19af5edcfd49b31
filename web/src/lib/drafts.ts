// Drafts kept on the server (`/drafts/{key}`): the composer saves as the member types (a
// second after they stop), restores on any device, and the post removes it (the server does).
import { api, withSession, type Schemas } from './api/client.svelte';

export type Draft = Schemas['DraftView'];
export type DraftKey = 'new-thread' | `reply-${number}`;

/** The member's draft under `key`, if any (one request: the list, which never 404s). */
export async function loadDraft(key: DraftKey): Promise<Draft | null> {
  const { data } = await withSession(() => api.GET('/api/v1/drafts'));
  return data?.items.find((d) => d.key === key) ?? null;
}

/** Saves `draft` (or discards it when its body is empty); the problem's detail when refused. */
export async function saveDraft(
  key: DraftKey,
  draft: { title?: string | null; body: string; tags?: string[] },
): Promise<string | null> {
  if (!draft.body.trim()) {
    await discardDraft(key);
    return null;
  }
  const { error } = await withSession(() =>
    api.PUT('/api/v1/drafts/{key}', { params: { path: { key } }, body: draft }),
  );
  return error ? (error as { detail?: string }).detail ?? 'The draft could not be saved.' : null;
}

export async function discardDraft(key: DraftKey) {
  await withSession(() => api.DELETE('/api/v1/drafts/{key}', { params: { path: { key } } }));
}

/** Calls `save` once `wait` ms have passed without another call: one request per pause. */
export function debounced(save: () => void, wait = 1000): { schedule: () => void; flush: () => void; cancel: () => void } {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return {
    schedule() {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        save();
      }, wait);
    },
    flush() {
      if (timer) {
        clearTimeout(timer);
        timer = null;
        save();
      }
    },
    cancel() {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
