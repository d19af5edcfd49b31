import { chromium } from '@playwright/test';
const base = 'http://127.0.0.1:18111';
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium' });
const shots = process.argv[2] ?? '/tmp/look';
for (const [name, width, height] of [['desktop', 1280, 900], ['phone', 390, 844]]) {
  for (const scheme of ['light', 'dark']) {
    const context = await browser.newContext({ viewport: { width, height }, colorScheme: scheme });
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') console.log('console:', m.text()); });
    await page.goto(base + '/login');
    await page.getByLabel('Username or email').fill('seed_user_1');
    await page.getByLabel('Password').fill('seed password 123');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    await page.goto(base + '/');
    await page.waitForSelector('.thread');
    await page.screenshot({ path: `${shots}-home-${name}-${scheme}.png` });
    await page.goto(base + '/t/56');
    await page.waitForSelector('.replies li');
    await page.waitForTimeout(500);
    await page.screenshot({ path: `${shots}-thread-${name}-${scheme}.png`, fullPage: false });
    await context.close();
  }
}
await browser.close();
