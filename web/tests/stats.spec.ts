import { expect, test } from '@playwright/test';
import { admin, memberIn, postThread, screenshot } from './helpers';

test('an admin reads the community’s health: changes the range, reads a chart as a table, downloads CSV', async ({ browser }) => {
  // Something to count today: a thread and a reply from someone else.
  const page = await admin(browser);
  const title = 'How do I read the health dashboard?';
  const threadId = await postThread(page, title, 'Where are the figures?', 'meta');
  const other = await memberIn(browser, 'journey_stats');
  await other.goto(`/threads/${threadId}`);
  await other.getByLabel('Your reply (Markdown)').fill('Admin → Community health.');
  await other.getByRole('button', { name: 'Reply', exact: true }).click();
  await expect(other.getByText('Your reply was posted.')).toBeVisible();

  await page.goto('/admin');
  await page.getByRole('link', { name: 'The dashboard' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Community health' })).toBeVisible();
  await expect(page.getByText(/\(UTC\), by day\./)).toBeVisible();
  for (const name of ['Activity', 'Answers', 'Mentorship', 'Meetups', 'Moderation']) {
    await expect(page.getByRole('heading', { level: 2, name })).toBeVisible();
  }

  // The rollup runs every few seconds here (every 15 minutes by default): today's thread and
  // reply show up in the "New threads" and "Replies" figures.
  const threads = page.getByRole('figure', { name: 'New threads' });
  await expect(async () => {
    await page.reload();
    await expect(threads.locator('.total strong')).not.toHaveText('0', { timeout: 1_000 });
    await expect(page.getByRole('figure', { name: 'Replies' }).locator('.total strong')).not.toHaveText('0', { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });

  // A chart read as a table: a row per day of the last 30, today's count in the last row.
  await threads.getByText('Show as a table').click();
  const table = threads.getByRole('table', { name: 'New threads, by day' });
  await expect(table.getByRole('row')).toHaveCount(31);
  const today = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(new Date());
  const lastRow = table.getByRole('row').last();
  await expect(lastRow.getByRole('rowheader')).toHaveText(today);
  expect(Number(await lastRow.getByRole('cell').textContent())).toBeGreaterThanOrEqual(1);
  await screenshot(page, 'community-health');

  // Twelve months by month: a row per month.
  await page.getByLabel('Range', { exact: true }).selectOption('12m');
  await expect(page.getByLabel('Points', { exact: true })).toHaveValue('month');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/\/admin\/stats\?range=12m$/);
  await expect(page.getByText(/\(UTC\), by month\./)).toBeVisible();
  const replies = page.getByRole('figure', { name: 'Replies' });
  await replies.getByText('Show as a table').click();
  const monthly = replies.getByRole('table', { name: 'Replies, by month' });
  await expect(monthly.getByRole('columnheader', { name: 'Month' })).toBeVisible();
  const rows = await monthly.getByRole('row').count();
  expect(rows).toBeGreaterThanOrEqual(13);
  expect(Number(await monthly.getByRole('row').last().getByRole('cell').textContent())).toBeGreaterThanOrEqual(1);

  // The same range as CSV: a header, then a row per month.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download CSV' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^devforum-stats-\d{4}-\d{2}-01-\d{4}-\d{2}-\d{2}-by-month\.csv$/);
  const csv = await (await file.createReadStream()).toArray();
  const lines = Buffer.concat(csv).toString('utf8').trim().split(/\r\n/);
  expect(lines[0]).toMatch(/^t,signups,active_members,threads,replies,/);
  expect(lines.length).toBe(rows);

  // A custom range the wrong way round: the form says what is wrong.
  await page.getByLabel('Range', { exact: true }).selectOption('custom');
  await page.getByLabel('From', { exact: true }).fill('2026-03-10');
  await page.getByLabel('To', { exact: true }).fill('2026-03-01');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.locator('#stats-from-errors')).toContainText('must not be after to');

  // Members are told it is for staff.
  await other.goto('/admin/stats');
  await expect(other.getByText('Only moderators and admins see the community’s figures.')).toBeVisible();
  await Promise.all([page, other].map((p) => p.context().close()));
});
