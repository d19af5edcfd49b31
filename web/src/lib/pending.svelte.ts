// How many mentorship requests wait for the signed-in member's answer (as a mentor): the
// header's Requests link shows it and leads to them. Asked after navigations, at most twice a
// minute; an answered request asks again at once (`refreshPending(true)`).
import { api, session, withSession } from './api/client.svelte';

export const pending = $state({ count: 0 });

let askedAt = 0;

export async function refreshPending(force = false) {
  if (!session.user) {
    pending.count = 0;
    askedAt = 0;
    return;
  }
  const now = Date.now();
  if (!force && now - askedAt < 30_000) return;
  askedAt = now;
  const { data } = await withSession(() =>
    api.GET('/api/v1/mentorship-requests', {
      params: { query: { role: 'mentor', status: 'pending', limit: 50 } },
    }),
  );
  pending.count = data?.items.length ?? 0;
}
