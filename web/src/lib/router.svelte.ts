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
  | { name: 'login' }
  | { name: 'register' }
  | { name: 'verify-email'; token: string | null }
  | { name: 'not-found' };

export function parse(url: URL): Route {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const thread = /^\/threads\/(\d+)$/.exec(path);
  if (thread) return { name: 'thread', id: Number(thread[1]) };
  switch (path) {
    case '/':
    case '/threads': {
      const sort = url.searchParams.get('sort');
      return {
        name: 'threads',
        sort: sort === 'active' || sort === 'top' ? sort : 'latest',
        tag: url.searchParams.get('tag'),
      };
    }
    case '/threads/new':
      return { name: 'compose' };
    case '/search': {
      const kind = url.searchParams.get('type');
      return {
        name: 'search',
        q: url.searchParams.get('q') ?? '',
        kind: kind === 'thread' || kind === 'reply' || kind === 'meetup' || kind === 'mentor' ? kind : null,
        tag: url.searchParams.get('tag'),
        city: url.searchParams.get('city'),
      };
    }
    case '/login':
      return { name: 'login' };
    case '/register':
      return { name: 'register' };
    case '/verify-email':
      return { name: 'verify-email', token: url.searchParams.get('token') };
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
