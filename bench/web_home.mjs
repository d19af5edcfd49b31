// Time until the home page of the seeded database shows its thread list, in Debian's
// Chromium: each load in a fresh browser context (empty cache, no session), then warm loads
// in one context. Run by bench/web_home.sh, which serves the bench database and the client.
import { chromium } from '../web/node_modules/@playwright/test/index.mjs';

const url = process.env.DEVFORUM_URL ?? 'http://127.0.0.1:18081';
const runs = Number(process.env.RUNS ?? 10);
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' });

async function load(page) {
  const started = Date.now();
  await page.goto(url + '/', { waitUntil: 'commit' });
  await page.locator('ol.threads li a').first().waitFor({ state: 'visible' });
  return Date.now() - started;
}

function summary(name, times) {
  const sorted = [...times].sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  console.log(`${name}: median ${at(0.5)} ms, max ${sorted.at(-1)} ms (${times.join(', ')})`);
}

const cold = [];
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext();
  cold.push(await load(await context.newPage()));
  await context.close();
}
const context = await browser.newContext();
const page = await context.newPage();
await load(page);
const warm = [];
for (let i = 0; i < runs; i++) warm.push(await load(page));
summary('home page, cold cache (new context each time)', cold);
summary('home page, warm cache', warm);
await browser.close();
