// The unread notification count the header shows: fetched after sign-in, after each client
// navigation, and when the inbox changes it.
import { api, session, withSession } from './api/client.svelte';

export const unread = $state({ count: 0 });

export async function refreshUnread() {
  if (!session.user) {
    unread.count = 0;
    return;
  }
  const { data } = await withSession(() => api.GET('/api/v1/notifications/unread-count'));
  unread.count = data?.unread ?? 0;
}
