import AxeBuilder from '@axe-core/playwright';
import { createHmac } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import { logOut, member, PASSWORD, screenshot, signedIn } from './helpers';

// Signing in the ways developers do: through an OpenID Provider (a real one, npm's
// oidc-provider, that scripts/browser-test starts as "Company SSO"), with an authenticator
// app's codes, and with a passkey held by Chromium's virtual authenticator.

const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** axe-core on the page as it is now, at desktop and phone widths. */
async function accessible(page: Page, what: string) {
  const size = page.viewportSize()!;
  for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    await page.setViewportSize(viewport);
    const { violations } = await new AxeBuilder({ page }).withTags(WCAG_22_AA).analyze();
    expect(violations.map((v) => `${what}: ${v.id} ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  }
  await page.setViewportSize(size);
}

/** RFC 6238 (SHA-1, 6 digits, 30 s) from the base32 key the page shows: what an app computes. */
function totp(base32: string, unixSeconds = Date.now() / 1000): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/=+$/, '').toUpperCase()) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const digest = createHmac('sha1', key).update(counter).digest();
  const offset = digest[19] & 0x0f;
  const value = (digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return value.toString().padStart(6, '0');
}

/** Signs in at the provider's own pages (its login form, then its consent). */
async function atProvider(page: Page, login: string) {
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill('anything');
  await page.getByRole('button', { name: /sign-in/i }).click();
  await page.getByRole('button', { name: /continue/i }).click();
}

test('a newcomer signs up through the company OpenID Provider and chooses a username', async ({ page }) => {
  await page.goto('/login');
  await expect(page.getByRole('button', { name: 'Continue with Company SSO' })).toBeVisible();
  await screenshot(page, 'sign-in-with-providers');
  await page.goto('/register');
  await page.getByRole('button', { name: 'Sign up with Company SSO' }).click();
  await atProvider(page, 'grace.hopper');
  await expect(page.getByRole('heading', { name: 'Welcome to devforum' })).toBeVisible();
  // Suggested from the provider's name for her; she makes it her own.
  await expect(page.getByLabel('Username')).toHaveValue('grace_hopper');
  await accessible(page, 'choose a username');
  await page.getByLabel('Username').fill('amazing_grace');
  await page.getByRole('button', { name: 'Keep this username' }).click();
  await expect(signedIn(page, 'amazing_grace')).toBeVisible();
  // No code is left in the address bar or the history.
  expect(page.url()).not.toContain('code=');

  // Back again: the provider still knows her (its own session), so one press signs her in to
  // the same account, with no form at all.
  await logOut(page);
  await page.goto('/login');
  await page.getByRole('button', { name: 'Continue with Company SSO' }).click();
  await expect(signedIn(page, 'amazing_grace')).toBeVisible();
});

test('an address that already has an account is not signed in through a provider', async ({ page }) => {
  // The provider gives <login>@oidc.test as the address; a member registered with it first.
  await page.goto('/register');
  await page.getByLabel('Username').fill('claimed');
  await page.getByLabel('Email').fill('claimed@oidc.test');
  await page.getByLabel('Password (at least 10 characters)').fill(PASSWORD);
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByText('Check your email')).toBeVisible();
  await page.goto('/login');
  await page.getByRole('button', { name: 'Continue with Company SSO' }).click();
  await atProvider(page, 'claimed');
  await expect(page.getByRole('alert')).toContainText('An account here already uses that email address');
  await accessible(page, 'account exists');
});

test('a member turns on two-factor sign-in with an app, then signs in with its code', async ({ page }) => {
  await member(page, 'journey_totp');
  await page.goto('/settings/security');
  await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
  await expect(page.getByRole('figure', { name: 'QR code for your authenticator app' })).toBeVisible();
  const key = (await page.getByLabel('Setup key').textContent())!.trim();
  await accessible(page, 'two-factor set-up');
  await screenshot(page, 'two-factor-setup');
  await page.getByLabel('Then enter the 6-digit code it shows').fill(totp(key));
  await page.getByRole('button', { name: 'Turn on two-factor sign-in' }).click();
  await expect(page.getByText('Save these recovery codes now.')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem')).toHaveCount(10);
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download the codes' }).click();
  expect((await download).suggestedFilename()).toBe('devforum-recovery-codes.txt');

  await logOut(page);
  await page.goto('/login');
  await page.getByLabel('Username or email').fill('journey_totp');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Confirm it is you' })).toBeVisible();
  await accessible(page, 'second step');
  // The code that turned it on is spent; the next one is accepted.
  await page.getByLabel('Code from your authenticator app').fill(totp(key, Date.now() / 1000 + 30));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(signedIn(page, 'journey_totp')).toBeVisible();
  await page.goto('/settings/account');
  await expect(page.getByText('with a password and an authenticator code').first()).toBeVisible();
});

test('a member registers a passkey, signs out, and signs in with it alone', async ({ page }) => {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  await member(page, 'journey_passkey');
  await page.goto('/settings/security');
  await page.getByLabel('Name for a new passkey').fill('Work laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await expect(page.getByText('The passkey “Work laptop” was added.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Remove the passkey Work laptop' })).toBeVisible();
  await accessible(page, 'security with a passkey');

  await logOut(page);
  await page.goto('/login');
  await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
  await expect(signedIn(page, 'journey_passkey')).toBeVisible();
  await page.goto('/settings/account');
  await expect(page.getByText('with a passkey').first()).toBeVisible();
  // The password still works, and now asks for the passkey as a second factor.
  await logOut(page);
  await page.goto('/login');
  await page.getByLabel('Username or email').fill('journey_passkey');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await expect(signedIn(page, 'journey_passkey')).toBeVisible();
});
