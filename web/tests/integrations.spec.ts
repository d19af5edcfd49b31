import { createServer, type IncomingHttpHeaders } from 'node:http';
import { expect, test } from '@playwright/test';
import { admin, member, screenshot } from './helpers';

// The receiver a webhook posts to: scripts/browser-test allows the server to reach this port
// (webhooks.allow_hosts), as a Discord or CI endpoint would be reached on the internet.
const HOOK_PORT = Number(process.env.DEVFORUM_BROWSER_HOOK_PORT ?? 18096);

test('an admin adds a webhook, sees its secret once, pings it and reads the delivery', async ({ browser }) => {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(HOOK_PORT, '127.0.0.1', resolve));
  try {
    const page = await admin(browser);
    await page.goto('/admin');
    await page.getByRole('link', { name: 'Webhooks' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Webhooks' })).toBeVisible();

    // A bad address first: the form says what is wrong with it.
    await page.getByLabel('Payload URL').fill('http://127.0.0.1:9/nowhere');
    await page.getByRole('button', { name: 'Add the hook' }).click();
    await expect(page.locator('#hook-url-errors')).toContainText('cannot be reached');

    const url = `http://127.0.0.1:${HOOK_PORT}/devforum`;
    await page.getByLabel('Payload URL').fill(url);
    await page.getByLabel('Format').selectOption('standard');
    await page.getByLabel('New replies').check();
    await page.getByLabel('Note (optional)').fill('Release notes bot');
    await page.getByRole('button', { name: 'Add the hook' }).click();
    const secret = page.getByLabel('Signing secret');
    await expect(secret).toHaveText(/^whsec_/);
    await screenshot(page, 'webhooks');
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(page.getByLabel('Signing secret')).toHaveCount(0);

    // A test ping reaches the receiver, signed; the log says it was delivered.
    const card = page.getByRole('listitem').filter({ hasText: url });
    await card.getByRole('button', { name: 'Send a test ping' }).click();
    await expect(page.getByText(/A ping is on its way/)).toBeVisible();
    await expect.poll(() => received.length, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(JSON.parse(received[0].body).type).toBe('ping');
    expect(received[0].headers['webhook-signature']).toMatch(/^v1,/);
    await card.getByRole('link', { name: 'Deliveries' }).click();
    await expect(page.getByRole('heading', { level: 1, name: url })).toBeVisible();
    const table = page.getByRole('table');
    await expect(async () => {
      await page.getByRole('button', { name: 'Refresh' }).click();
      await expect(table.getByText('Delivered')).toBeVisible({ timeout: 1_000 });
    }).toPass({ timeout: 15_000 });
    await expect(table.getByText('thanks')).toBeVisible();
    await screenshot(page, 'webhook-deliveries');

    // Sent again by hand: the receiver sees the same webhook-id.
    await table.getByRole('button', { name: /Send delivery \d+ again/ }).first().click();
    await expect.poll(() => received.length, { timeout: 15_000 }).toBe(2);
    expect(received[1].headers['webhook-id']).toBe(received[0].headers['webhook-id']);
  } finally {
    receiver.close();
  }
});

test('a member makes an API token, copies it once, uses it and revokes it', async ({ page, request }) => {
  await member(page, 'token_maker');
  await page.getByRole('button', { name: 'Account menu' }).click();
  await page.getByRole('link', { name: 'API tokens' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'API tokens' })).toBeVisible();
  await expect(page.getByText('You have no API tokens.')).toBeVisible();

  await page.getByRole('button', { name: 'Make the token' }).click();
  await expect(page.locator('#token-name-errors')).toContainText('must not be empty');
  await page.getByLabel('What it is for').fill('Release notes bot');
  await page.getByRole('checkbox', { name: /^Write:/ }).check();
  await page.getByLabel('Expires').selectOption('30');
  await page.getByRole('button', { name: 'Make the token' }).click();
  const shown = page.getByLabel('Your new API token');
  await expect(shown).toHaveText(/^dfp_\d+_/);
  const token = (await shown.textContent()) ?? '';
  await screenshot(page, 'api-tokens');

  // It works as a bearer token, within its scopes.
  const me = await request.get('/api/v1/users/me', { headers: { authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).username).toBe('token_maker');

  await page.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByLabel('Your new API token')).toHaveCount(0);
  await expect(page.getByText('read, write')).toBeVisible();
  await page.getByRole('button', { name: 'Revoke Release notes bot' }).click();
  await page.getByRole('button', { name: 'Yes, revoke Release notes bot' }).click();
  await expect(page.getByText('“Release notes bot” was revoked: it no longer works.')).toBeVisible();
  const after = await request.get('/api/v1/users/me', { headers: { authorization: `Bearer ${token}` } });
  expect(after.status()).toBe(401);
});
