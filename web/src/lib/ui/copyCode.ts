// A "Copy" button on each code block of server-rendered HTML (posts, previews, solutions).
// Used as `use:copyCode={html}`: the parameter is the HTML, so the buttons follow an edit.

function addButtons(node: HTMLElement) {
  for (const pre of node.querySelectorAll('pre')) {
    if (pre.querySelector(':scope > .copy-code')) continue;
    const code = pre.querySelector('code');
    if (!code) continue;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'copy-code';
    button.textContent = 'Copy';
    button.setAttribute('aria-label', 'Copy the code');
    button.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(code.textContent ?? '');
        button.textContent = 'Copied';
      } catch {
        button.textContent = 'Select and copy';
      }
      setTimeout(() => (button.textContent = 'Copy'), 2000);
    });
    pre.prepend(button);
  }
}

export function copyCode(node: HTMLElement, _html?: string) {
  addButtons(node);
  return {
    update() {
      queueMicrotask(() => addButtons(node));
    },
  };
}
