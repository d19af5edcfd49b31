import { mount, tick } from 'svelte';
import './app.css';
import App from './App.svelte';
import { firstPageReady, serverRendered } from './lib/initial';

const target = document.getElementById('app');
if (target && serverRendered()) {
  // The server rendered this page for a visitor: the client renders beside it, hidden, and
  // takes its place once the page has its data (at the latest after 3 s).
  const client = document.createElement('div');
  client.hidden = true;
  target.after(client);
  mount(App, { target: client });
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 3000));
  void Promise.race([firstPageReady.then(tick), timeout]).then(() => {
    const focused = document.activeElement !== document.body && target.contains(document.activeElement);
    target.remove();
    client.id = 'app';
    client.hidden = false;
    if (focused) document.getElementById('main')?.focus({ preventScroll: true });
  });
} else if (target) {
  mount(App, { target });
}
