import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { admin, logIn, logOut, member, memberIn, PASSWORD, postThread, screenshot, signedIn } from './helpers';
import { bounce, linkFor, mailLink, returnPath } from './mail';

test('register with field errors shown, verify by the emailed link, log in', async ({ page }) => {
  await page.goto('/register');
  await page.getByLabel('Username').fill('x');
  await page.getByLabel('Password (at least 10 characters)').fill('short');
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.locator('#username-errors')).not.toBeEmpty();
  await expect(page.locator('#email-errors')).not.toBeEmpty();
  await expect(page.locator('#password-errors')).toContainText('10');
  await member(page, 'journey_one');
});

test('reset a forgotten password from the mailed link', async ({ page, browser }) => {
  await (await memberIn(browser, 'journey_forgetful')).context().close();
  await page.goto('/login');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.getByLabel('Your email address').fill('journey_forgetful@example.com');
  await page.getByRole('button', { name: 'Mail me a link' }).click();
  await expect(page.getByText('a mail with a link to choose a new password is on its way')).toBeVisible();
  await page.goto(await linkFor('journey_forgetful@example.com', '/reset-password'));
  await page.getByLabel('New password (at least 10 characters)').fill('short');
  await page.getByRole('button', { name: 'Set the password' }).click();
  await expect(page.locator('#new-password-errors')).toContainText('10');
  await page.getByLabel('New password (at least 10 characters)').fill('a brand new passphrase');
  await page.getByRole('button', { name: 'Set the password' }).click();
  await expect(page.getByText('Your password is changed')).toBeVisible();
  await logIn(page, 'journey_forgetful', 'a brand new passphrase');
});

test('sessions: no token where scripts can read it; reloads and short access tokens keep it; logout ends it in every tab', async ({
  page,
  context,
}) => {
  await member(page, 'journey_seven');
  const signedInAt = Date.now();
  const readable = await page.evaluate(() => ({
    local: Object.keys(localStorage).length,
    session: Object.keys(sessionStorage).length,
    cookie: document.cookie,
  }));
  expect(readable).toEqual({ local: 0, session: 0, cookie: '' });
  const [cookie] = await context.cookies();
  expect(cookie).toMatchObject({
    name: '__Host-devforum_refresh',
    httpOnly: true,
    secure: true,
    sameSite: 'Strict',
    path: '/',
  });

  await page.reload();
  await expect(signedIn(page, 'journey_seven')).toBeVisible();

  // The server under test gives 5-second access tokens: after one has expired, a write
  // refreshes once and goes through.
  const second = await context.newPage();
  await second.goto('/');
  await expect(signedIn(second, 'journey_seven')).toBeVisible();
  await expect
    .poll(() => Date.now() - signedInAt, { timeout: 15_000, message: 'the access token expires' })
    .toBeGreaterThan(5_500);
  await page.getByRole('link', { name: 'New thread' }).click();
  await page.getByLabel('Title').fill('Written after the token expired');
  await page.getByLabel('Body (Markdown)').fill('Still *signed in*.');
  await page.getByRole('button', { name: 'Post the thread' }).click();
  await expect(page.getByRole('heading', { name: 'Written after the token expired' })).toBeVisible();

  // Two tabs refreshing together both stay signed in.
  await Promise.all([page.reload(), second.reload()]);
  await expect(signedIn(page, 'journey_seven')).toBeVisible();
  await expect(signedIn(second, 'journey_seven')).toBeVisible();

  await logOut(page);
  const loginLink = (p: Page) =>
    p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Log in' });
  await expect(loginLink(page)).toBeVisible();
  await expect(loginLink(second)).toBeVisible();
  expect(await context.cookies()).toEqual([]);
  await second.reload();
  await expect(loginLink(second)).toBeVisible();
});

test('post a thread with a preview, reply, vote (own post refused), edit, delete', async ({ page, browser }) => {
  await member(page, 'journey_two');
  await page.getByRole('link', { name: 'New thread' }).click();
  await page.getByLabel('Title').fill('Borrow checker questions');
  await page.getByLabel('Body (Markdown)').fill('Why does **this** fail? <script>alert(1)</script>');
  await page.getByLabel('Tags (up to 5, separated by spaces)').fill('rust');
  await page.getByRole('button', { name: 'Preview' }).click();
  const preview = page.getByRole('region', { name: 'Preview' });
  await expect(preview.locator('strong')).toHaveText('this');
  await expect(preview.locator('script')).toHaveCount(0);
  await page.getByRole('button', { name: 'Post the thread' }).click();
  await expect(page.getByRole('heading', { name: 'Borrow checker questions' })).toBeVisible();
  const threadUrl = page.url();
  await page.getByLabel('Your reply (Markdown)').fill('Because of the *lifetime*.');
  await page.getByRole('button', { name: 'Reply', exact: true }).click();
  await expect(page.getByText('Your reply was posted.')).toBeVisible();
  await expect(page.locator('.replies em')).toHaveText('lifetime');
  await page.reload();
  await expect(page.locator('.replies em')).toHaveText('lifetime');

  // Voting on one's own thread is refused, in words, and the score stays.
  await page.getByRole('button', { name: 'Upvote this thread' }).click();
  await expect(page.getByText('You cannot vote on your own post.')).toBeVisible();
  await expect(page.getByLabel('Score of this thread')).toHaveText('0');

  // Another member's vote counts, shows as pressed, and a second press takes it back.
  const other = await memberIn(browser, 'journey_two_voter');
  await other.goto(threadUrl);
  const upvote = other.getByRole('button', { name: 'Upvote this thread' });
  await upvote.click();
  await expect(other.getByLabel('Score of this thread')).toHaveText('1');
  await expect(upvote).toHaveAttribute('aria-pressed', 'true');
  await other.reload();
  await expect(other.getByRole('button', { name: 'Upvote this thread' })).toHaveAttribute('aria-pressed', 'true');
  // Nobody else may edit or delete the thread.
  await expect(other.getByRole('button', { name: 'Edit this thread' })).toHaveCount(0);
  await other.context().close();

  // Edit the thread and the reply.
  await page.reload();
  await expect(page.getByLabel('Score of this thread')).toHaveText('1');
  await page.getByRole('button', { name: 'Edit this thread' }).click();
  await page.getByLabel('Title').fill('Borrow checker questions, answered');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { name: 'Borrow checker questions, answered' })).toBeVisible();
  const reply = page.locator('.replies > li').first();
  await reply.getByRole('button', { name: /^Edit reply/ }).click();
  await reply.getByLabel('Edit your reply (Markdown)').fill('Because of the *borrow*.');
  await reply.getByRole('button', { name: 'Save' }).click();
  await expect(reply.locator('em')).toHaveText('borrow');
  await expect(reply).toContainText('edited');

  // Delete the reply, then the thread: both ask first.
  // Destructive actions wait behind "More actions".
  await reply.getByRole('button', { name: /^More actions for reply/ }).click();
  await reply.getByRole('button', { name: 'Delete' }).click();
  await reply.getByRole('button', { name: /for good$/ }).click();
  await expect(page.getByText('The reply was deleted.')).toBeVisible();
  await expect(page.locator('.replies > li')).toHaveCount(0);
  await page.getByRole('button', { name: 'More actions for this thread' }).click();
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Delete this thread for good' }).click();
  await expect(page.getByRole('heading', { name: 'Latest threads' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Borrow checker questions, answered' })).toHaveCount(0);
  await page.goto(threadUrl);
  await expect(page.getByRole('heading', { name: 'No such thread' })).toBeVisible();
});

test('screenshots of the main pages, desktop and phone, for the README', async ({ page }) => {
  await member(page, 'screenshot_sam');
  await page.getByRole('link', { name: 'New thread' }).click();
  await page.getByLabel('Title').fill('How do you structure a Rust web service?');
  await page
    .getByLabel('Body (Markdown)')
    .fill('Routes, a domain module, rules as *plain functions*:\n\n```rust\nfn main() {}\n```');
  await page.getByLabel('Tags (up to 5, separated by spaces)').fill('rust architecture');
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByRole('region', { name: 'Preview' }).locator('em')).toBeVisible();
  const shots = '../docs/screenshots';
  await page.screenshot({ path: `${shots}/compose-desktop.png`, fullPage: true });
  await page.getByRole('button', { name: 'Post the thread' }).click();
  await expect(page.getByRole('heading', { name: 'How do you structure a Rust web service?' })).toBeVisible();
  await page.screenshot({ path: `${shots}/thread-desktop.png`, fullPage: true });
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Latest threads' })).toBeVisible();
  await page.screenshot({ path: `${shots}/threads-desktop.png`, fullPage: true });
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Latest threads' })).toBeVisible();
  // No horizontal scrolling at phone width.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  await page.screenshot({ path: `${shots}/threads-phone.png`, fullPage: true });
});

test('account settings: change the password and the email, sign a device out, get the data, delete the account', async ({
  page,
  browser,
}) => {
  await member(page, 'journey_owner');
  // A second device, signed in elsewhere.
  const phone = await (await browser.newContext({ userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Safari/604.1' })).newPage();
  await logIn(phone, 'journey_owner');

  await page.goto('/settings/account');
  await expect(page.getByRole('heading', { level: 1, name: 'Account settings' })).toBeVisible();
  const devices = page.getByRole('region', { name: 'Signed-in devices' });
  await expect(devices.getByText('(this device)')).toBeVisible();
  await expect(devices.getByText('Safari on iOS')).toBeVisible();

  // A wrong current password is refused in words; the right one changes it.
  await page.getByLabel('Current password').fill('not my password');
  await page.getByLabel('New password (at least 10 characters)').fill('a sturdier passphrase');
  await page.getByRole('button', { name: 'Change the password' }).click();
  await expect(page.getByText("The password is not this account's.")).toBeVisible();
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Change the password' }).click();
  await expect(page.getByText('Your password was changed, and every other device was signed out.')).toBeVisible();
  // The phone was signed out: its next page shows no session.
  await phone.reload();
  await expect(phone.getByRole('link', { name: 'Log in' })).toBeVisible();
  await expect(devices.getByText('Safari on iOS')).toHaveCount(0);
  await phone.context().close();

  // The email changes once the new address's link is opened.
  await page.getByLabel('New email address').fill('journey_owner@new.example');
  await page.getByRole('region', { name: 'Email address' }).getByLabel('Your password').fill('a sturdier passphrase');
  await page.getByRole('button', { name: 'Change the email address' }).click();
  await expect(page.getByText('We sent a link to journey_owner@new.example.')).toBeVisible();
  await page.goto(await linkFor('journey_owner@new.example', '/verify-email'));
  await expect(page.getByText('Your email is verified')).toBeVisible();
  await page.goto('/settings/account');
  await expect(page.getByText('Your address is journey_owner@new.example')).toBeVisible();
  await expect(devices.getByText('(this device)')).toBeVisible();
  await screenshot(page, 'account-settings');

  // The data comes by mail, as a link that works once.
  await page.getByRole('button', { name: 'Email me my data' }).click();
  await expect(page.getByText('a link to download it will reach journey_owner@new.example')).toBeVisible();
  const link = await mailLink('journey_owner@new.example', /\/api\/v1\/exports\/[A-Za-z0-9_-]+/);
  const archive = await page.request.get(link);
  expect(archive.status()).toBe(200);
  const data = await archive.json();
  expect(data.format).toBe('devforum-account-export');
  expect(data.account.email).toBe('journey_owner@new.example');
  expect((await page.request.get(link)).status()).toBe(404);

  // Deleting asks twice and needs the password.
  const deletion = page.getByRole('region', { name: 'Delete the account' });
  await deletion.getByLabel('Your password').fill('a sturdier passphrase');
  await deletion.getByRole('button', { name: 'Delete my account' }).click();
  await deletion.getByRole('button', { name: 'Yes, delete my account for good' }).click();
  await expect(page.getByText('Your account was deleted.')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();
  await page.goto('/login');
  await page.getByLabel('Username or email').fill('journey_owner');
  await page.getByLabel('Password').fill('a sturdier passphrase');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByText('Wrong login or password.')).toBeVisible();
});

test('account settings: another verification mail; an email change undone from the old address', async ({ page }) => {
  await page.goto('/register');
  await page.getByLabel('Username').fill('journey_unsure');
  await page.getByLabel('Email').fill('journey_unsure@example.com');
  await page.getByLabel('Password (at least 10 characters)').fill(PASSWORD);
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByText('Check your email')).toBeVisible();
  const first = await linkFor('journey_unsure@example.com', '/verify-email');
  await logIn(page, 'journey_unsure');

  await page.goto('/settings/account');
  await expect(page.getByText('not verified yet')).toBeVisible();
  await page.getByRole('button', { name: 'Send the verification email again' }).click();
  await expect(page.getByText('A new verification link is on its way to journey_unsure@example.com.')).toBeVisible();
  // The new link verifies; the first one no longer does.
  await expect.poll(() => linkFor('journey_unsure@example.com', '/verify-email')).not.toBe(first);
  await page.goto(first);
  await expect(page.getByRole('alert')).toContainText('unknown, used or expired');
  await page.goto(await linkFor('journey_unsure@example.com', '/verify-email'));
  await expect(page.getByText('Your email is verified')).toBeVisible();

  // Someone signed in asks for another address; the old one undoes it.
  await page.goto('/settings/account');
  await page.getByLabel('New email address').fill('journey_unsure@elsewhere.example');
  await page.getByRole('region', { name: 'Email address' }).getByLabel('Your password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Change the email address' }).click();
  await expect(page.getByText('We sent a link to journey_unsure@elsewhere.example.')).toBeVisible();
  await page.goto(await linkFor('journey_unsure@elsewhere.example', '/verify-email'));
  await expect(page.getByText('Your email is verified')).toBeVisible();
  await page.goto(await linkFor('journey_unsure@example.com', '/undo-email-change'));
  await page.getByRole('button', { name: 'Undo the change' }).click();
  await expect(page.getByText('your account uses this address again')).toBeVisible();
  // Everyone was signed out; the old address signs in again.
  await expect(page.getByRole('link', { name: 'Log in' }).first()).toBeVisible();
  await page.goto('/login');
  await page.getByLabel('Username or email').fill('journey_unsure@example.com');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(signedIn(page, 'journey_unsure')).toBeVisible();
});

test('a bouncing address: the member sees why mail stopped and fixes it; staff see it on the member', async ({
  page,
  browser,
}) => {
  await member(page, 'journey_bounced');
  // The verification mail went out with the member's own return path; its bounce comes back.
  const path = await returnPath('journey_bounced@example.com');
  expect(path).toMatch(/^bounces\+\d+-[0-9a-f]{16}@forum\.example$/);
  bounce(path, `journey-${Date.now()}`);

  // The bounce mailbox is read every second; the next page load shows the banner.
  const banner = page.getByRole('status').filter({ hasText: 'keeps bouncing' });
  await expect
    .poll(async () => {
      await page.reload();
      await expect(signedIn(page, 'journey_bounced')).toBeVisible();
      return banner.isVisible();
    }, { timeout: 20_000 })
    .toBe(true);
  await expect(banner).toContainText('journey_bounced@example.com');
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa']).analyze();
  expect(violations).toEqual([]);
  await screenshot(page, 'bounced-address');

  // Staff see it on the member's page.
  const staff = await admin(browser);
  await staff.goto('/users/journey_bounced');
  await expect(staff.getByText('bounces: notification mail to this member is paused')).toBeVisible();
  await staff.close();

  // The banner leads to the account settings, which say what still works and how to fix it.
  await banner.getByRole('link', { name: 'Check or change your email address' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Account settings' })).toBeVisible();
  await expect(page.getByText('sign-in and password mail is still sent')).toBeVisible();
  await expect(banner).toBeHidden();
  await page.getByLabel('New email address').fill('journey_bounced@working.example');
  await page.getByRole('region', { name: 'Email address' }).getByLabel('Your password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Change the email address' }).click();
  await expect(page.getByText('We sent a link to journey_bounced@working.example.')).toBeVisible();
  await page.goto(await linkFor('journey_bounced@working.example', '/verify-email'));
  await expect(page.getByText('Your email is verified')).toBeVisible();
  await page.goto('/settings/account');
  await expect(page.getByText('journey_bounced@working.example')).toBeVisible();
  await expect(page.getByText('comes back undelivered')).toBeHidden();
  await page.goto('/');
  await expect(signedIn(page, 'journey_bounced')).toBeVisible();
  await expect(banner).toBeHidden();
});

test('routes: deep links and reloads land on their page, back and forward stay in the app, unknown paths say so, file links download', async ({
  page,
}) => {
  await member(page, 'journey_routes');
  const id = await postThread(page, 'Routing around', 'Deep links work.', 'routing');

  // A deep link, and a reload of it, open the page itself.
  await page.goto(`/threads/${id}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Routing around' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Routing around' })).toBeVisible();
  // The query string is the page's state.
  await page.goto('/threads?sort=top&tag=routing');
  await expect(page.getByRole('heading', { level: 1, name: 'Top threads tagged routing' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Routing around' })).toBeVisible();

  // Links and the browser's back and forward move between pages without a reload, and the
  // next Tab starts at the new page's content.
  await page.evaluate(() => ((window as unknown as { stayed: boolean }).stayed = true));
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Mentors' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Mentors' })).toBeVisible();
  await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('main');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Meetups' }).click();
  await expect(page.getByRole('heading', { level: 1, name: /^Upcoming meetups/ })).toBeVisible();
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1, name: 'Mentors' })).toBeVisible();
  await page.goForward();
  await expect(page).toHaveURL(/\/meetups$/);
  await page.goBack();
  await page.goBack();
  await expect(page.getByRole('heading', { level: 1, name: 'Top threads tagged routing' })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { stayed?: boolean }).stayed)).toBe(true);

  // What is not there says so.
  await page.goto('/no/such/page');
  await expect(page.getByRole('heading', { level: 1, name: 'Page not found' })).toBeVisible();
  await page.goto('/threads/not-a-number');
  await expect(page.getByRole('heading', { level: 1, name: 'No such thread' })).toBeVisible();

  // A link to a file of the API is a download, not a page of the app.
  await page.goto('/meetups');
  const download = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Calendar feed (.ics)' }).click();
  expect((await download).suggestedFilename()).toMatch(/\.ics$/);
});
