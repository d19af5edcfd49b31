import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { admin, memberIn, postThread } from './helpers';

const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

/** Requests in flight per page, the live notification stream left out (it never ends, so
 * the network is never "idle" for a signed-in member). */
const inFlight = new WeakMap<Page, Set<object>>();

function track(page: Page): Set<object> {
  let pending = inFlight.get(page);
  if (!pending) {
    const set = new Set<object>();
    page.on('request', (request) => {
      if (!request.url().includes('/notifications/stream')) set.add(request);
    });
    page.on('requestfinished', (request) => set.delete(request));
    page.on('requestfailed', (request) => set.delete(request));
    inFlight.set(page, set);
    pending = set;
  }
  return pending;
}

/** Waits until no request but the stream has been in flight for half a second. */
async function settled(page: Page) {
  const pending = track(page);
  let quietSince = Date.now();
  await expect
    .poll(
      () => {
        if (pending.size > 0) quietSince = Date.now();
        return Date.now() - quietSince >= 500;
      },
      { timeout: 15_000, intervals: [100] },
    )
    .toBe(true);
}

/** Opens `path`, waits until the page has loaded its data, and runs axe-core on it. */
async function audit(page: Page, path: string) {
  track(page);
  await page.goto(path);
  await page.waitForLoadState('load');
  await settled(page);
  await expect(page.getByText('Loading…')).toHaveCount(0);
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG_22_AA).analyze();
  const summary = violations.map((v) => `${path}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(summary, `axe-core violations on ${path}`).toEqual([]);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width, `no horizontal scrolling on ${path}`).toBeLessThanOrEqual(page.viewportSize()!.width);
}

test('every page passes axe-core (WCAG 2.2 AA) at desktop and 390 × 844, light and dark', async ({ browser }) => {
  test.setTimeout(240_000);
  // Content for every kind of page: a thread with a reply, a mentor and a request, a meetup,
  // a report in the queue and entries in the log.
  const staff = await admin(browser);
  const threadId = await postThread(staff, 'Accessible forms in Svelte', 'Labels, *live regions* and `focus`.', 'a11y');
  await staff.goto('/settings/mentor');
  await staff.getByLabel('Headline').fill('Accessibility reviews');
  await staff.getByLabel('Skills (separated by spaces)').fill('a11y svelte');
  await staff.getByRole('button', { name: 'Save the mentor profile' }).click();
  await expect(staff.getByText('Your mentor profile was saved.')).toBeVisible();
  await staff.goto('/meetups/new');
  await staff.getByLabel('Title').fill('Accessibility night');
  await staff.getByLabel('Description (Markdown)').fill('Screen readers, hands on.');
  await staff.getByLabel('Starts (in that timezone)').fill(`${new Date().getFullYear() + 1}-05-04T18:00`);
  await staff.getByLabel('Ends').fill(`${new Date().getFullYear() + 1}-05-04T20:00`);
  await staff.getByLabel('In person, at a venue').uncheck();
  await staff.getByLabel('Online link (optional with a venue)').fill('https://meet.example.com/a11y');
  await staff.getByLabel('Seats (empty for no limit)').fill('1');
  await staff.getByRole('button', { name: 'Create the meetup' }).click();
  await expect(staff.getByRole('heading', { level: 1, name: 'Accessibility night' })).toBeVisible();
  const meetupId = Number(/\/m\/(\d+)\/[a-z0-9-]+$/.exec(staff.url())![1]);

  const other = await memberIn(browser, 'journey_a11y');
  await other.goto(`/threads/${threadId}`);
  await other.getByLabel('Your reply (Markdown)').fill('Thanks, this *helps*.');
  await other.getByRole('button', { name: 'Reply', exact: true }).click();
  await expect(other.getByText('Your reply was posted.')).toBeVisible();
  await other.getByRole('button', { name: 'Report this thread' }).click();
  await other.getByRole('button', { name: 'Send the report' }).click();
  await expect(other.getByText('Thank you')).toBeVisible();
  await other.goto(`/meetups/${meetupId}`);
  await other.getByRole('button', { name: 'RSVP: I am going' }).click();
  await expect(other.getByText('You are going.').first()).toBeVisible();
  await other.goto('/mentors/journey_admin');
  await other.getByLabel('A few words about you').fill('I build forms.');
  await other.getByLabel('What you want to achieve').fill('Pass an audit.');
  await other.getByRole('button', { name: 'Request mentorship' }).click();
  await expect(other.getByText('Status: pending')).toBeVisible();
  const requestId = Number(/\/mentorship-requests\/(\d+)$/.exec(other.url())![1]);
  await other.goto('/messages/new?to=journey_admin');
  await other.getByLabel('Subject').fill('Forms review');
  await other.getByLabel('Message', { exact: true }).fill('Could you look at *my* form?');
  await other.getByRole('button', { name: 'Send' }).click();
  await expect(other.getByRole('heading', { level: 1, name: 'Forms review' })).toBeVisible();
  const conversationId = Number(/\/messages\/(\d+)$/.exec(other.url())![1]);
  // A webhook (turned off at once: nothing is sent from here) for the admin pages.
  await staff.goto('/admin/webhooks');
  await staff.getByLabel('Payload URL').fill('http://127.0.0.1:18096/a11y');
  await staff.getByLabel('New threads').uncheck();
  await staff.getByLabel('Cancelled meetups').check();
  await staff.getByRole('button', { name: 'Add the hook' }).click();
  await expect(staff.getByLabel('Signing secret')).toBeVisible();
  const card = staff.getByRole('listitem').filter({ hasText: '127.0.0.1:18096/a11y' });
  await card.getByRole('button', { name: 'Turn off' }).click();
  await expect(staff.getByText(/a11y is off\./)).toBeVisible();
  const hookId = Number(/\/admin\/webhooks\/(\d+)$/.exec((await card.getByRole('link', { name: 'Deliveries' }).getAttribute('href')) ?? '')![1]);

  const signedInPages = [
    '/',
    '/threads?sort=top',
    `/threads/${threadId}`,
    '/threads/new',
    '/search?q=accessible',
    '/mentors',
    '/mentors/journey_admin',
    '/settings/mentor',
    '/settings/profile',
    '/settings/account',
    '/settings/security',
    '/welcome',
    '/settings/notifications',
    '/mentorship-requests?role=mentor',
    `/mentorship-requests/${requestId}`,
    '/meetups',
    `/meetups/${meetupId}`,
    '/meetups/new',
    `/meetups/${meetupId}/edit`,
    '/users/journey_a11y',
    '/mod',
    '/mod/log',
    '/mod/appeals',
    '/mod/appeals?status=decided',
    '/appeal/1',
    '/admin',
    '/admin/stats',
    '/admin/stats?range=12m',
    '/admin/webhooks',
    `/admin/webhooks/${hookId}`,
    '/settings/api-tokens',
    '/notifications',
    '/messages',
    '/messages/new',
    `/messages/${conversationId}`,
  ];
  const anonymousPages = ['/', '/login', '/register', '/reset-password', '/reset-password?token=x', '/verify-email?token=x', '/undo-email-change?token=x', '/mentorship-check-in?answer=done&token=x', '/auth/callback?error=account_exists', '/no-such-page'];
  const anonymous = await (await browser.newContext()).newPage();
  // Contrast depends on the theme, layout on the width: light at both sizes, dark at one.
  const settings = [
    { scheme: 'light', viewport: VIEWPORTS[0] },
    { scheme: 'light', viewport: VIEWPORTS[1] },
    { scheme: 'dark', viewport: VIEWPORTS[1] },
  ] as const;
  for (const { scheme, viewport } of settings) {
    for (const page of [staff, anonymous]) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.setViewportSize(viewport);
    }
    for (const path of signedInPages) await audit(staff, path);
    for (const path of anonymousPages) await audit(anonymous, path);
  }
  await Promise.all([staff, other, anonymous].map((p) => p.context().close()));
});

/** Presses Tab until the focused element's name matches; fails after 60 presses. */
async function tabTo(page: Page, name: RegExp) {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el) return '';
      const label = el.id ? document.querySelector(`label[for="${el.id}"]`)?.textContent : null;
      return (el.getAttribute('aria-label') ?? label ?? el.textContent ?? '').trim();
    });
    if (name.test(focused)) return;
  }
  throw new Error(`Tab never reached ${name}`);
}

test('posting works with the keyboard alone, with a visible focus', async ({ page, browser }) => {
  await (await memberIn(browser, 'journey_keys')).context().close();
  await page.goto('/login');
  await tabTo(page, /^Username or email$/);
  await page.keyboard.type('journey_keys');
  await tabTo(page, /^Password$/);
  await page.keyboard.type('correct horse battery');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('link', { name: 'Your profile (signed in as journey_keys)' })).toBeVisible();

  // On a fresh page the skip link is the first stop, shows itself, and moves focus to the content.
  await page.reload();
  await expect(page.getByRole('link', { name: 'Your profile (signed in as journey_keys)' })).toBeVisible();
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await expect(skip).toBeInViewport();
  await page.keyboard.press('Enter');
  await expect(page.locator('main')).toBeFocused();
  await page.reload();
  await expect(page.getByRole('link', { name: 'Your profile (signed in as journey_keys)' })).toBeVisible();

  await tabTo(page, /^New thread$/);
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  expect(outline).not.toBe('none');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Start a thread' })).toBeVisible();
  await tabTo(page, /^Title$/);
  await page.keyboard.type('Typed without a mouse');
  await tabTo(page, /^Body \(Markdown\)$/);
  await page.keyboard.type('Every control is *reachable*.');
  await tabTo(page, /^Preview$/);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('region', { name: 'Preview' }).locator('em')).toHaveText('reachable');
  await tabTo(page, /^Post the thread$/);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'Typed without a mouse' })).toBeVisible();
  await tabTo(page, /^Your reply \(Markdown\)$/);
  await page.keyboard.type('And a reply, also by keyboard.');
  await tabTo(page, /^Reply$/);
  await page.keyboard.press('Enter');
  await expect(page.getByText('Your reply was posted.')).toBeVisible();
});
