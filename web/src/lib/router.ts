// The web client's pages: one table, below. Paths are sv-router's (`:name` for a part of the
// path); each page is loaded when first visited (its own small file), so the first page a
// visitor opens carries only its own code. The server answers index.html for any of these
// paths, so a reload lands here too; `/t/`, `/m/`, `/tags/` and `/u/` are the canonical URLs of
// public pages (lib/links.ts), which the server renders for visitors and this client takes over.
import { createRouter, searchParams } from 'sv-router';

export const { route, isActive, navigate: go } = createRouter({
  '/': () => import('../pages/threads/Threads.svelte'),
  '/threads': () => import('../pages/threads/Threads.svelte'),
  '/threads/new': () => import('../pages/threads/Compose.svelte'),
  '/threads/:id': () => import('../pages/threads/Thread.svelte'),
  '/t/:id': () => import('../pages/threads/Thread.svelte'),
  '/t/:id/:slug': () => import('../pages/threads/Thread.svelte'),
  '/tags/:name': () => import('../pages/threads/Threads.svelte'),
  '/search': () => import('../pages/threads/Search.svelte'),

  '/mentors': () => import('../pages/mentors/Mentors.svelte'),
  '/mentors/:username': () => import('../pages/mentors/Mentor.svelte'),
  '/mentorship-requests': () => import('../pages/mentors/Requests.svelte'),
  '/mentorship-requests/:id': () => import('../pages/mentors/Request.svelte'),
  '/mentorship-check-in': () => import('../pages/mentors/CheckIn.svelte'),
  '/settings/mentor': () => import('../pages/mentors/MentorProfile.svelte'),

  '/meetups': () => import('../pages/meetups/Meetups.svelte'),
  '/meetups/new': () => import('../pages/meetups/MeetupForm.svelte'),
  '/meetups/:id': () => import('../pages/meetups/Meetup.svelte'),
  '/m/:id': () => import('../pages/meetups/Meetup.svelte'),
  '/m/:id/:slug': () => import('../pages/meetups/Meetup.svelte'),
  '/meetups/:id/edit': () => import('../pages/meetups/MeetupForm.svelte'),

  '/mod': () => import('../pages/moderation/Moderation.svelte'),
  '/mod/log': () => import('../pages/moderation/ModLog.svelte'),
  '/mod/appeals': () => import('../pages/moderation/ModAppeals.svelte'),
  '/appeal/:logId': () => import('../pages/moderation/Appeal.svelte'),
  '/admin': () => import('../pages/moderation/Admin.svelte'),
  '/admin/stats': () => import('../pages/admin/Stats.svelte'),
  '/admin/webhooks': () => import('../pages/admin/Webhooks.svelte'),
  '/admin/webhooks/:id': () => import('../pages/admin/Webhook.svelte'),

  '/notifications': () => import('../pages/notifications/Notifications.svelte'),
  '/messages': () => import('../pages/messages/Inbox.svelte'),
  '/messages/new': () => import('../pages/messages/NewConversation.svelte'),
  '/messages/:id': () => import('../pages/messages/Conversation.svelte'),
  '/settings/notifications': () => import('../pages/notifications/NotificationSettings.svelte'),
  '/unsubscribe': () => import('../pages/notifications/Unsubscribe.svelte'),

  '/login': () => import('../pages/account/Login.svelte'),
  '/register': () => import('../pages/account/Register.svelte'),
  '/verify-email': () => import('../pages/account/VerifyEmail.svelte'),
  '/reset-password': () => import('../pages/account/ResetPassword.svelte'),
  '/undo-email-change': () => import('../pages/account/UndoEmailChange.svelte'),
  '/settings/profile': () => import('../pages/account/Profile.svelte'),
  '/settings/account': () => import('../pages/account/Account.svelte'),
  '/settings/security': () => import('../pages/account/Security.svelte'),
  '/settings/api-tokens': () => import('../pages/account/ApiTokens.svelte'),
  '/auth/callback': () => import('../pages/account/AuthCallback.svelte'),
  '/welcome': () => import('../pages/account/ChooseUsername.svelte'),
  '/users/:username': () => import('../pages/account/User.svelte'),
  '/u/:username': () => import('../pages/account/User.svelte'),

  '*': () => import('../pages/NotFound.svelte'),

  hooks: {
    afterLoad() {
      // As after a page load, the next Tab starts from the top of the new page's content,
      // and a screen reader reads it (not on the first page: Tab reaches "Skip to content").
      if (!firstLoad) {
        requestAnimationFrame(() => document.getElementById('main')?.focus({ preventScroll: true }));
      }
      firstLoad = false;
    },
  },
});

let firstLoad = true;

/** Moves to `to` (a path with its query and fragment) without a reload. */
export function navigate(to: string, replace = false) {
  const url = new URL(to, window.location.href);
  // Pages build concrete paths (`/threads/12`), which the router matches like a click on a
  // link; its typed form wants the pattern and its parameters apart.
  const toPath = go as (path: string, options: { search: string; hash: string; replace: boolean }) => Promise<unknown>;
  void toPath(url.pathname, { search: url.search, hash: url.hash, replace });
}

/** The current path with `params` set (empty values removed), for filter forms. */
export function withQuery(path: string, params: Record<string, string | null | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** A query parameter as written (`null` when absent); reactive. */
export function query(name: string): string | null {
  return new URLSearchParams(searchParams.toString()).get(name);
}

/** A query parameter that must be one of `allowed`, else `fallback`; reactive. */
export function queryOneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
  const value = query(name);
  return allowed.includes(value as T) ? (value as T) : fallback;
}

/** A path parameter that must be a positive whole number, else `null`; reactive. */
export function idParam(name: string): number | null {
  const value = (route.params as Record<string, string | undefined>)[name];
  return value !== undefined && /^[1-9]\d{0,17}$/.test(value) ? Number(value) : null;
}

/** A path parameter as written; reactive. */
export function textParam(name: string): string {
  return (route.params as Record<string, string | undefined>)[name] ?? '';
}
