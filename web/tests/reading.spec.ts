import { expect, test } from '@playwright/test';
import { logIn, member, memberIn, postThread, screenshot } from './helpers';

test('a member comes back: unread counts, new threads, opens at the first unread, a draft restored on another browser context', async ({
  page,
  browser,
}) => {
  // Ada asks; Ben reads the question and leaves.
  await member(page, 'back_ada');
  const first = await postThread(page, 'Where did my lifetimes go?', 'Asking about `impl Trait` in return position.', 'rust');
  const ben = await memberIn(browser, 'back_ben');
  await ben.goto(`/t/${first}`);
  await expect(ben.getByRole('heading', { level: 1, name: 'Where did my lifetimes go?' })).toBeVisible();
  await expect(ben.getByText('No replies yet.')).toBeVisible();

  // Meanwhile three replies come in, and a new thread.
  const posted = page.getByRole('listitem', { name: /^reply \d+ by back_ada$/ });
  for (const [n, text] of ['It is captured.', 'Add `+ use<>`.', 'See the 2024 edition guide.'].entries()) {
    await page.getByLabel('Your reply (Markdown)').fill(text);
    await page.getByRole('button', { name: 'Reply', exact: true }).click();
    await expect(posted).toHaveCount(n + 1);
  }
  await postThread(page, 'Async closures, finally?', 'They are stable now.', 'rust');

  // Ben's list says what is unread and what is new; the filters show just those.
  await ben.goto('/');
  const lifetimes = ben.getByRole('listitem').filter({ has: ben.getByRole('link', { name: 'Where did my lifetimes go?' }) });
  const closures = ben.getByRole('listitem').filter({ has: ben.getByRole('link', { name: 'Async closures, finally?' }) });
  await expect(lifetimes.getByRole('link', { name: '3 unread replies' })).toBeVisible();
  await expect(closures.getByText('New', { exact: true })).toBeVisible();
  await screenshot(ben, 'unread-and-new');
  await ben.getByRole('link', { name: 'Unread', exact: true }).click();
  await expect(ben.getByRole('heading', { level: 1, name: 'Unread threads' })).toBeVisible();
  await expect(ben.getByRole('link', { name: 'Where did my lifetimes go?' })).toBeVisible();
  await expect(ben.getByRole('link', { name: 'Async closures, finally?' })).toHaveCount(0);
  await ben.getByRole('link', { name: 'New', exact: true }).click();
  await expect(ben.getByRole('link', { name: 'Async closures, finally?' })).toBeVisible();
  await expect(ben.getByRole('link', { name: 'Where did my lifetimes go?' })).toHaveCount(0);

  // The thread opens at the first unread reply.
  await ben.goto('/threads?filter=unread');
  await ben.getByRole('link', { name: 'Where did my lifetimes go?' }).click();
  const firstUnread = ben.getByRole('listitem', { name: /^reply \d+ by back_ada$/ }).first();
  await expect(firstUnread.getByText('Unread from here')).toBeVisible();
  await expect(firstUnread).toBeFocused();
  await expect(firstUnread).toBeInViewport();

  // Keyboard: j and k move between posts, r writes a reply, / searches, ? lists them all;
  // none of them fires while typing.
  await ben.keyboard.press('j');
  await expect(ben.getByRole('listitem', { name: /^reply \d+ by back_ada$/ }).nth(1)).toBeFocused();
  await ben.keyboard.press('k');
  await expect(firstUnread).toBeFocused();
  await ben.keyboard.press('?');
  await expect(ben.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
  await expect(ben.getByRole('dialog').getByText('Next post')).toBeVisible();
  await ben.keyboard.press('Escape');
  await expect(ben.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeHidden();
  await ben.keyboard.press('r');
  await expect(ben.getByLabel('Your reply (Markdown)')).toBeFocused();
  await ben.keyboard.type('Half a thought: j and k stay letters here.');
  await expect(ben.getByLabel('Your reply (Markdown)')).toBeFocused();
  // The draft is saved as Ben types.
  await expect(ben.getByText(/You have a draft, saved/)).toBeVisible();

  // On another device (another browser context), the draft is there.
  const elsewhere = await (await browser.newContext()).newPage();
  await logIn(elsewhere, 'back_ben');
  await elsewhere.goto(`/t/${first}`);
  await expect(elsewhere.getByLabel('Your reply (Markdown)')).toHaveValue('Half a thought: j and k stay letters here.');
  await expect(elsewhere.getByText(/You have a draft, saved/)).toBeVisible();
  await elsewhere.keyboard.press('/');
  await expect(elsewhere.getByRole('searchbox', { name: 'Search devforum' })).toBeFocused();

  // Posting it removes the draft everywhere.
  await elsewhere.getByLabel('Your reply (Markdown)').fill('Thanks, `use<>` it is.');
  await elsewhere.getByRole('button', { name: 'Reply', exact: true }).click();
  await expect(elsewhere.getByText('Your reply was posted.')).toBeVisible();
  await elsewhere.reload();
  await expect(elsewhere.getByLabel('Your reply (Markdown)')).toHaveValue('');
  await expect(elsewhere.getByText(/You have a draft/)).toHaveCount(0);

  // Ada's bell leads to Ben's reply: the link keeps its #reply anchor and lands on it.
  await page.goto('/');
  await page.getByRole('link', { name: /^Notifications, \d+ unread$/ }).click();
  await page.getByRole('link', { name: /back_ben replied to your thread/ }).first().click();
  await expect(page).toHaveURL(/#reply-\d+$/);
  const bens = page.getByRole('listitem', { name: /^reply \d+ by back_ben$/ });
  await expect(bens).toBeFocused();
  await expect(bens).toBeInViewport();

  // Quote and reply-to fill the composer.
  await page.getByRole('button', { name: /^Reply to reply \d+ by back_ben$/ }).click();
  await expect(page.getByText('Replying to @back_ben')).toBeVisible();
  await expect(page.getByLabel('Your reply (Markdown)')).toHaveValue(/^@back_ben /);
  await page.getByRole('button', { name: /^Quote reply \d+ by back_ben$/ }).click();
  await expect(page.getByLabel('Your reply (Markdown)')).toHaveValue(/> \*\*@back_ben\*\* \[wrote\]\(#reply-\d+\):\n> Thanks, `use<>` it is\./);

  // Mark all read: nothing unread or new is left for Ben.
  await ben.goto('/');
  await ben.getByRole('button', { name: 'Mark all read' }).click();
  await expect(ben.getByText('Everything is marked read.')).toBeAttached();
  await ben.goto('/threads?filter=new');
  await expect(ben.getByText('Nothing new since your last visit.')).toBeVisible();
  await Promise.all([ben, elsewhere].map((p) => p.context().close()));
});

test('what goes wrong is said in words, and the register page says what happened', async ({ page }) => {
  await page.goto('/register');
  await expect(page.getByRole('heading', { level: 1, name: 'Create an account' })).toBeVisible();
  await member(page, 'words_wendy');
  await page.goto('/threads/new');
  await page.getByRole('button', { name: 'Post the thread' }).click();
  const alert = page.getByRole('alert').filter({ hasText: /\S/ });
  await expect(alert).toHaveText(/^Please check the form: .*\.$/);
  await expect(alert).toContainText('Title must be at least 5 characters');
  await expect(alert).toContainText('Body must not be empty');
  await expect(alert).not.toContainText('errors');
});
