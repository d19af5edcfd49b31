import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { memberIn, postThread, screenshot } from './helpers';

const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

test('ask, get two answers, mark one as the solution, find it under Solved, see highlighted code and a card', async ({ browser }) => {
  const asker = await memberIn(browser, 'quinn');
  const title = 'Why does my iterator borrow the vector for too long?';
  const article = `${process.env.FIXTURE_SITE}/async-book.html`;
  const thread = await postThread(
    asker,
    title,
    `This fails to compile:\n\n\`\`\`rust\nlet first = v.iter().next();\nv.push(4);\n\`\`\`\n\nI read this first:\n\n${article}`,
    'rust',
  );

  // Moments after it is saved, the server has highlighted the code and made the link alone on
  // its line a card.
  await expect(async () => {
    await asker.reload();
    await expect(asker.locator('aside.onebox')).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 20_000 });
  const card = asker.locator('aside.onebox');
  await expect(card).toContainText('Pinning · Asynchronous Programming in Rust');
  const question = asker.locator('article .body').first();
  await expect(question.locator('code.language-rust .hl-keyword').first()).toHaveText('let');
  await expect(question.locator('pre').first()).toContainText('v.push(4);');
  const copy = question.getByRole('button', { name: 'Copy the code' });
  await copy.click();
  await expect(copy).toHaveText(/Copied|Select and copy/);
  await expect(card.getByRole('link')).toHaveAttribute('href', article);

  // Two members answer.
  const answers = [
    ['rhea', 'Copy the value out before you push:\n\n```rust\nlet first = v.iter().next().copied();\nv.push(4);\n```'],
    ['saul', 'Maybe use a `VecDeque`?'],
  ] as const;
  const pages = new Map<string, Page>();
  for (const [name, body] of answers) {
    const page = await memberIn(browser, name);
    pages.set(name, page);
    await page.goto(`/threads/${thread}`);
    await page.getByLabel('Your reply (Markdown)').fill(body);
    await page.getByRole('button', { name: 'Reply', exact: true }).click();
    await expect(page.getByText('Your reply was posted.')).toBeVisible();
  }

  // The thread is unsolved and answered: it leaves "Unanswered", it is under "Unsolved".
  await asker.goto('/threads?status=unsolved');
  await expect(asker.getByRole('link', { name: title })).toBeVisible();
  await asker.goto('/threads?status=unanswered');
  await expect(asker.getByRole('link', { name: title })).toHaveCount(0);

  // The asker marks the first answer; it shows under the question, with a way to it.
  await asker.goto(`/threads/${thread}`);
  const rhea = asker.getByRole('listitem', { name: /^reply \d+ by rhea$/ });
  const saul = asker.getByRole('listitem', { name: /^reply \d+ by saul$/ });
  await expect(saul.getByRole('button', { name: /Mark .* as the solution/ })).toBeVisible();
  await rhea.getByRole('button', { name: /Mark .* as the solution/ }).click();
  await expect(asker.getByText('The reply is marked as the solution.')).toBeVisible();
  const answer = asker.getByRole('region', { name: 'Solved' });
  await expect(answer).toContainText('Answer by rhea');
  await expect(answer).toContainText('copied()');
  await expect(rhea.locator('.solved-badge')).toHaveText(/Solution/);
  await answer.getByRole('link', { name: 'Go to the answer' }).click();
  await expect(asker).toHaveURL(/#reply-\d+$/);

  // Another reader sees the same, without the buttons.
  const reader = await memberIn(browser, 'tess');
  await reader.goto(`/threads/${thread}`);
  await expect(reader.getByRole('region', { name: 'Solved' })).toContainText('Answer by rhea');
  await expect(reader.getByRole('button', { name: /as the solution/ })).toHaveCount(0);

  // The answerer is told.
  const answerer = pages.get('rhea')!;
  await answerer.goto('/notifications');
  await expect(answerer.getByText(`marked your reply as the solution to “${title}”`)).toBeVisible();

  // Under "Solved", with its badge.
  await reader.goto('/threads');
  await reader.getByRole('link', { name: 'Solved', exact: true }).click();
  await expect(reader).toHaveURL(/status=solved/);
  const row = reader.getByRole('listitem').filter({ has: reader.getByRole('link', { name: title }) });
  await expect(row.locator('.solved-badge')).toHaveText(/Solved/);
  const axe = await new AxeBuilder({ page: reader }).withTags(WCAG_22_AA).analyze();
  expect(axe.violations).toEqual([]);
  await screenshot(reader, 'solved-threads');

  await asker.goto(`/threads/${thread}`);
  await expect(asker.getByRole('region', { name: 'Solved' })).toBeVisible();
  const threadAxe = await new AxeBuilder({ page: asker }).withTags(WCAG_22_AA).analyze();
  expect(threadAxe.violations).toEqual([]);
  await screenshot(asker, 'thread-with-solution');

  // The asker changes their mind: the solution goes, and so does the badge.
  await asker.getByRole('listitem', { name: /^reply \d+ by rhea$/ }).getByRole('button', { name: /Remove .* as the solution/ }).click();
  await expect(asker.getByText('The solution was removed.')).toBeVisible();
  await expect(asker.getByRole('region', { name: 'Solved' })).toHaveCount(0);
});
