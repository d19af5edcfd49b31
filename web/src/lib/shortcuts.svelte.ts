// Keyboard shortcuts: `/` search, `?` the list of shortcuts, and whatever the open page adds
// (`j`/`k` between posts, `r` reply on a thread). Never while typing in a field, never with a
// modifier key; what a shortcut did is said to screen readers.

export type PageKeys = Record<string, { description: string; run: () => void }>;

export const shortcuts = $state({
  visible: false,
  announcement: '',
  page: {} as PageKeys,
  open() {
    shortcuts.visible = true;
  },
});

/** What the open page adds while it is mounted; returns the function that takes them away. */
export function usePageKeys(keys: PageKeys): () => void {
  shortcuts.page = keys;
  return () => {
    if (shortcuts.page === keys) shortcuts.page = {};
  };
}

export function announce(text: string) {
  // The same words twice are still said twice.
  shortcuts.announcement = shortcuts.announcement === text ? `${text}\u00a0` : text;
}

/** Whether the key was typed into something that takes text. */
export function typing(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  if (!element || !element.tagName) return false;
  return element.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(element.tagName);
}

export function onGlobalKey(event: KeyboardEvent, app: { focusSearch: () => void }) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  if (typing(event.target)) return;
  if (event.key === '/') {
    event.preventDefault();
    app.focusSearch();
    announce('Search');
  } else if (event.key === '?') {
    event.preventDefault();
    shortcuts.visible = !shortcuts.visible;
  } else if (shortcuts.page[event.key]) {
    event.preventDefault();
    shortcuts.page[event.key].run();
  }
}
