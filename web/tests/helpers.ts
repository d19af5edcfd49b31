import { expect, type Browser, type Page } from '@playwright/test';
import { linkFor } from './mail';

export const PASSWORD = 'correct horse battery';

/** The header's sign that `username` is signed in. */
export function signedIn(page: Page, username: string) {
  return page.getByRole('link', { name: `Your profile (signed in as ${username})` });
}

/** Signs out from the header's account menu. */
export async function logOut(page: Page) {
  await page.getByRole('button', { name: 'Account menu' }).click();
  await page.getByRole('button', { name: 'Log out' }).click();
}

export async function logIn(page: Page, username: string, password = PASSWORD) {
  await page.goto('/login');
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  // The login's own outcome, its move to the home page: with a session already in the
  // cookie, the header may show the member before the login answers, and a journey that went
  // on from there was moved to the home page when it did.
  await expect(page).toHaveURL(/\/$/);
  await expect(signedIn(page, username)).toBeVisible();
}

/** A new member who registered, opened the link from the verification mail and logged in. */
export async function member(page: Page, username: string) {
  await page.goto('/register');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Password (at least 10 characters)').fill(PASSWORD);
  await page.getByRole('button', { name: 'Register' }).click();
  // The page says what happened (it no longer offers to create the account).
  await expect(page.getByRole('heading', { level: 1, name: 'Check your email' })).toBeVisible();
  await page.goto(await linkFor(`${username}@example.com`, '/verify-email'));
  await expect(page.getByText('Your email is verified')).toBeVisible();
  await logIn(page, username);
}

/** A member in a browser context of their own (their own cookies), for journeys with several people. */
export async function memberIn(browser: Browser, username: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await member(page, username);
  return page;
}

/** The administrator scripts/browser-test creates, in a context of their own. */
export async function admin(browser: Browser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await logIn(page, 'journey_admin');
  return page;
}

/** Posts a thread from the compose page; resolves with its id. */
export async function postThread(page: Page, title: string, body: string, tags = ''): Promise<number> {
  await page.goto('/threads/new');
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Body (Markdown)').fill(body);
  await page.getByLabel('Tags (up to 5, separated by spaces)').fill(tags);
  await page.getByRole('button', { name: 'Post the thread' }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
  return Number(/\/t\/(\d+)\/[a-z0-9-]+$/.exec(page.url())![1]);
}

/** A full-page screenshot for the README under docs/screenshots, at the page's size and at
 * 390 px wide (where nothing may scroll sideways); the viewport is restored afterwards. */
export async function screenshot(page: Page, name: string) {
  const shots = '../docs/screenshots';
  const size = page.viewportSize()!;
  await page.screenshot({ path: `${shots}/${name}-desktop.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: `${shots}/${name}-phone.png`, fullPage: true });
  await page.setViewportSize(size);
}
