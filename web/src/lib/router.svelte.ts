// Client-side routes on the History API: links inside the app change the page without a
// reload; the server answers index.html for any of these paths, so a reload lands here too.
export type Route =
  | { name: 'threads'; sort: 'latest' | 'active' | 'top'; tag: string | null }
  | { name: 'thread'; id: number }
  | { name: 'compose' }
  | {
      name: 'search';
      q: string;
      kind: 'thread' | 'reply' | 'meetup' | 'mentor' | null;
      tag: string | null;
      city: string | null;
    }
  | { name: 'mentors'; skill: string | null; language: string | null; accepting: boolean }
  | { name: 'mentor'; username: string }
  | { name: 'requests'; role: 'mentee' | 'mentor' }
  | { name: 'request'; id: number }
  | { name: 'meetups'; city: string | null; tag: string | null }
  | { name: 'meetup'; id: number }
  | { name: 'meetup-form'; id: number | null }
  | { name: 'user'; username: string }
  | { name: 'profile' }
  | { name: 'mentor-profile' }
  | { name: 'notification-settings' }
  | { name: 'account' }
  | { name: 'undo-email-change'; token: string | null }
  | { name: 'check-in'; token: string | null; answer: 'active' | 'done' | null }
  | { name: 'unsubscribe'; token: string | null }
  | { name: 'moderation'; status: 'open' | 'resolved' | 'dismissed' }
  | { name: 'mod-log' }
  | { name: 'mod-appeals'; status: 'open' | 'decided' }
  | { name: 'appeal'; logId: number }
  | { name: 'admin' }
  | { name: 'notifications'; unreadOnly: boolean }
  | { name: 'login' }
  | { name: 'register' }
  | { name: 'verify-email'; token: string | null }
  | { name: 'reset-password'; token: string | null }
  | { name: 'not-found' };

/** Paths with one id or name in them, tried in order. */
const PATTERNS: [RegExp, (m: RegExpExecArray) => Route][] = [
  [/^\/threads\/(\d+)$/, (m) => ({ name: 'thread', id: Number(m[1]) })],
  [/^\/meetups\/(\d+)$/, (m) => ({ name: 'meetup', id: Number(m[1]) })],
  [/^\/meetups\/(\d+)\/edit$/, (m) => ({ name: 'meetup-form', id: Number(m[1]) })],
  [/^\/mentorship-requests\/(\d+)$/, (m) => ({ name: 'request', id: Number(m[1]) })],
  [/^\/mentors\/([A-Za-z0-9_-]{3,32})$/, (m) => ({ name: 'mentor', username: m[1] })],
  [/^\/users\/([A-Za-z0-9_-]{3,32})$/, (m) => ({ name: 'user', username: m[1] })],
  [/^\/appeal\/(\d+)$/, (m) => ({ name: 'appeal', logId: Number(m[1]) })],
];

function oneOf<T extends string>(value: string | null, allowed: readonly T[], fallback: T): T {
  return allowed.includes(value as T) ? (value as T) : fallback;
}

export function parse(url: URL): Route {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const query = url.searchParams;
  for (const [pattern, route] of PATTERNS) {
    const match = pattern.exec(path);
    if (match) return route(match);
  }
  switch (path) {
    case '/':
    case '/threads':
      return {
        name: 'threads',
        sort: oneOf(query.get('sort'), ['latest', 'active', 'top'] as const, 'latest'),
        tag: query.get('tag'),
      };
    case '/threads/new':
      return { name: 'compose' };
    case '/search': {
      const kind = query.get('type');
      return {
        name: 'search',
        q: query.get('q') ?? '',
        kind: kind === 'thread' || kind === 'reply' || kind === 'meetup' || kind === 'mentor' ? kind : null,
        tag: query.get('tag'),
        city: query.get('city'),
      };
    }
    case '/mentors':
      return {
        name: 'mentors',
        skill: query.get('skill'),
        language: query.get('language'),
        accepting: query.get('accepting') === 'true',
      };
    case '/mentorship-requests':
      return { name: 'requests', role: oneOf(query.get('role'), ['mentee', 'mentor'] as const, 'mentee') };
    case '/meetups':
      return { name: 'meetups', city: query.get('city'), tag: query.get('tag') };
    case '/meetups/new':
      return { name: 'meetup-form', id: null };
    case '/settings/profile':
      return { name: 'profile' };
    case '/settings/mentor':
      return { name: 'mentor-profile' };
    case '/settings/notifications':
      return { name: 'notification-settings' };
    case '/settings/account':
      return { name: 'account' };
    case '/undo-email-change':
      return { name: 'undo-email-change', token: query.get('token') };
    case '/mentorship-check-in': {
      const answer = query.get('answer');
      return { name: 'check-in', token: query.get('token'), answer: answer === 'active' || answer === 'done' ? answer : null };
    }
    case '/unsubscribe':
      return { name: 'unsubscribe', token: query.get('token') };
    case '/mod':
      return {
        name: 'moderation',
        status: oneOf(query.get('status'), ['open', 'resolved', 'dismissed'] as const, 'open'),
      };
    case '/mod/log':
      return { name: 'mod-log' };
    case '/mod/appeals':
      return { name: 'mod-appeals', status: oneOf(query.get('status'), ['open', 'decided'] as const, 'open') };
    case '/admin':
      return { name: 'admin' };
    case '/notifications':
      return { name: 'notifications', unreadOnly: query.get('unread') === 'true' };
    case '/login':
      return { name: 'login' };
    case '/register':
      return { name: 'register' };
    case '/verify-email':
      return { name: 'verify-email', token: query.get('token') };
    case '/reset-password':
      return { name: 'reset-password', token: query.get('token') };
    default:
      return { name: 'not-found' };
  }
}

export const location = $state({ url: new URL(window.location.href) });

export function navigate(to: string, replace = false) {
  const url = new URL(to, window.location.href);
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  location.url = url;
  window.scrollTo(0, 0);
  // As after a page load, the next Tab starts from the top of the new page's content, and a
  // screen reader reads it.
  requestAnimationFrame(() => document.getElementById('main')?.focus({ preventScroll: true }));
}

/** The current path with `params` set (empty values removed), for filter forms. */
export function withQuery(path: string, params: Record<string, string | null | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

window.addEventListener('popstate', () => {
  location.url = new URL(window.location.href);
});

/** Same-origin link clicks become client navigations. */
document.addEventListener('click', (event) => {
  const anchor = (event.target as Element | null)?.closest?.('a');
  if (!anchor || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  if (anchor.target || anchor.hasAttribute('download')) return;
  const url = new URL(anchor.href, window.location.href);
  if (url.origin !== window.location.origin || url.pathname.startsWith('/api/')) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
