import AxeBuilder from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { memberIn, postThread, screenshot } from './helpers';

const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

test('a visitor reads a thread without JavaScript, then the client takes it over without fetching it again', async ({ browser }) => {
  const asker = await memberIn(browser, 'public_ada');
  const title = 'How do I cache cargo builds on CI?';
  const id = await postThread(
    asker,
    title,
    'Every build starts from scratch:\n\n```yaml\nsteps:\n  - run: cargo build\n```\n\nWhat do you cache?',
    'rust ci',
  );
  // What a member copies from the address bar is the canonical URL.
  const canonical = new URL(asker.url()).pathname;
  expect(canonical).toMatch(new RegExp(`^/t/${id}/how-do-i-cache-cargo-builds-on-ci$`));
  const answerer = await memberIn(browser, 'public_bob');
  await answerer.goto(`/t/${id}`);
  await answerer.getByLabel('Your reply (Markdown)').fill('Cache `~/.cargo/registry` and `target/`.');
  await answerer.getByRole('button', { name: 'Reply', exact: true }).click();
  await expect(answerer.getByText('Your reply was posted.')).toBeVisible();

  // A crawler or a link unfurler: no JavaScript at all. The short URL redirects to the
  // canonical one, and the page reads on its own.
  const crawler = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await crawler.goto(`/t/${id}`);
  expect(new URL(crawler.url()).pathname).toBe(canonical);
  await expect(crawler.getByRole('heading', { level: 1, name: title })).toBeVisible();
  await expect(crawler.locator('article .body code.language-yaml')).toContainText('cargo build');
  await expect(crawler.locator('ol.replies > li')).toHaveCount(1);
  await expect(crawler.locator('ol.replies > li')).toContainText('Cache ~/.cargo/registry and target/.');
  await expect(crawler.getByRole('link', { name: 'public_bob' })).toHaveAttribute('href', '/u/public_bob');
  await expect(crawler.getByRole('list', { name: 'Tags' }).getByRole('link', { name: '#rust' })).toHaveAttribute('href', '/tags/rust');
  await expect(crawler.locator('meta[property="og:title"]')).toHaveAttribute('content', title);
  const structured = JSON.parse((await crawler.locator('script[type="application/ld+json"]').first().textContent())!);
  expect(structured['@type']).toBe('DiscussionForumPosting');
  expect(structured.comment).toHaveLength(1);
  await screenshot(crawler, 'public-thread-no-js');

  // The server's page is accessible as it is: axe (which needs JavaScript) on it with the
  // client's own scripts kept away.
  const audited = await (await browser.newContext()).newPage();
  await audited.route('**/assets/*.js', (route) => route.abort());
  await audited.goto(canonical);
  await expect(audited.locator('#app[data-server-rendered]')).toHaveCount(1);
  const axe = await new AxeBuilder({ page: audited }).withTags(WCAG_22_AA).analyze();
  expect(axe.violations).toEqual([]);

  // A visitor's browser: the same page, then the client in its place, from the data the page
  // carried (no request for the thread or its replies), without a session refresh.
  const visitor = await (await browser.newContext()).newPage();
  const asked: string[] = [];
  visitor.on('request', (request) => {
    if (request.url().includes('/api/')) asked.push(`${request.method()} ${new URL(request.url()).pathname}`);
  });
  await visitor.goto(canonical);
  await expect(visitor.locator('#app[data-server-rendered]')).toHaveCount(0);
  // What only the client draws: the code's copy button, replies named for assistive tech.
  await expect(visitor.getByRole('button', { name: 'Copy the code' })).toBeVisible();
  await expect(visitor.getByRole('listitem', { name: /^reply \d+ by public_bob$/ })).toBeVisible();
  await expect(visitor.getByRole('heading', { level: 1, name: title })).toBeVisible();
  await expect(visitor.getByText('Cache ~/.cargo/registry and target/.')).toBeVisible();
  await expect(visitor.getByRole('link', { name: 'Log in', exact: true }).first()).toBeVisible();
  expect(asked.filter((a) => a.includes(`/threads/${id}`))).toEqual([]);
  expect(asked.filter((a) => a.includes('/auth/refresh'))).toEqual([]);

  // From there the client moves on by itself: the tag's page is the client's.
  await visitor.getByRole('list', { name: 'Tags' }).getByRole('link', { name: '#rust' }).click();
  await expect(visitor).toHaveURL(/\/tags\/rust$/);
  await expect(visitor.getByRole('heading', { level: 1, name: /tagged rust/ })).toBeVisible();
  await expect(visitor.getByRole('link', { name: title })).toHaveAttribute('href', canonical);
});
