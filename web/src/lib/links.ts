// The canonical URLs of what has a public page: the server renders these for visitors and
// search engines (`/t/{id}/{slug}`, `/m/{id}/{slug}`, `/tags/{name}`, `/u/{username}`), so a
// link copied from the address bar is the one search engines know.

type Sluggable = { id: number; slug?: string | null };

export const threadUrl = (thread: Sluggable): string =>
  thread.slug ? `/t/${thread.id}/${thread.slug}` : `/t/${thread.id}`;

export const meetupUrl = (meetup: Sluggable): string =>
  meetup.slug ? `/m/${meetup.id}/${meetup.slug}` : `/m/${meetup.id}`;

export const tagUrl = (name: string): string => `/tags/${encodeURIComponent(name)}`;

export const profileUrl = (username: string): string => `/u/${encodeURIComponent(username)}`;

/** Shows `canonical` in the address bar (same page, no navigation, no new history entry). */
export function showCanonical(canonical: string) {
  if (window.location.pathname === canonical) return;
  history.replaceState(history.state, '', canonical + window.location.search + window.location.hash);
}
