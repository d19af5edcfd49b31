// A page the server rendered for a visitor (a thread, a meetup, a tag, a profile) carries the
// data its page here would fetch first, as JSON in `#initial-data`. The page takes it once
// instead of fetching it again, then says it is ready (`pageReady`), and only then does the
// client's rendering replace the server's (main.ts): no flash of an empty page.

let data: Record<string, unknown> | null | undefined;

function read(): Record<string, unknown> | null {
  if (data === undefined) {
    const text = document.getElementById('initial-data')?.textContent;
    try {
      data = text ? (JSON.parse(text) as Record<string, unknown>) : null;
    } catch {
      data = null;
    }
  }
  return data;
}

/** Whether this document was rendered by the server for a visitor (who has no session). */
export function serverRendered(): boolean {
  return document.getElementById('app')?.hasAttribute('data-server-rendered') ?? false;
}

/** The embedded `key`, once, when `matches` says it is the one this page wants. */
export function takeInitial<T>(key: string, matches: (value: T) => boolean): T | null {
  const all = read();
  const value = all?.[key] as T | undefined;
  if (!all || value === undefined || !matches(value)) return null;
  delete all[key];
  return value;
}

let ready: () => void = () => {};
/** Resolves once the first page has what it shows. */
export const firstPageReady = new Promise<void>((resolve) => {
  ready = resolve;
});

/** Called by a page when its first data is on screen. */
export function pageReady() {
  ready();
}
