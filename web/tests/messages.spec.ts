import { expect, test } from '@playwright/test';
import { member, memberIn, screenshot } from './helpers';

test('mentor accepts, mentee writes, mentor answers live; a member writes from a profile; a message is reported', async ({
  page,
  browser,
}) => {
  // A mentor offers; a mentee asks.
  await member(page, 'talk_mentor');
  await page.goto('/settings/mentor');
  await page.getByLabel('Headline').fill('Rust services and code review');
  await page.getByLabel('Skills (separated by spaces)').fill('rust');
  await page.getByRole('button', { name: 'Save the mentor profile' }).click();
  await expect(page.getByText('Your mentor profile was saved.')).toBeVisible();

  const mentee = await memberIn(browser, 'talk_mentee');
  await mentee.goto('/mentors/talk_mentor');
  await mentee.getByLabel('A few words about you').fill('I maintain a Python CLI and want to port it.');
  await mentee.getByLabel('What you want to achieve').fill('A first release in Rust.');
  await mentee.getByRole('button', { name: 'Request mentorship' }).click();
  await expect(mentee.getByText('Status: pending')).toBeVisible();
  await expect(mentee.getByRole('link', { name: 'Open conversation' })).toHaveCount(0);
  const requestPath = new URL(mentee.url()).pathname;

  // The mentor accepts: the pair's conversation opens with the request as its first message.
  await page.goto(requestPath);
  await page.getByRole('button', { name: 'Accept' }).click();
  await expect(page.getByText('Status: accepted')).toBeVisible();
  await page.getByRole('link', { name: 'Open conversation' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Mentorship: talk_mentee and talk_mentor' })).toBeVisible();
  const messages = page.getByRole('list', { name: 'Messages' });
  await expect(messages.getByText('I maintain a Python CLI and want to port it.')).toBeVisible();
  await expect(messages.getByText('A first release in Rust.')).toBeVisible();

  // The mentee opens it from the request and writes; the mentor's open page shows it at once.
  await mentee.reload();
  await mentee.getByRole('link', { name: 'Open conversation' }).click();
  await mentee.getByLabel('Your message').fill('Thanks! Could we start with **error handling**?');
  await mentee.getByRole('button', { name: 'Send' }).click();
  await expect(mentee.getByRole('list', { name: 'Messages' }).getByText('Could we start with')).toBeVisible();
  await expect(messages.getByText('Could we start with')).toBeVisible();
  await expect(messages.locator('strong', { hasText: 'error handling' })).toBeVisible();

  // The mentor answers; the mentee sees it live, and reading it leaves nothing unread.
  await page.getByLabel('Your message').fill('Yes: read the `thiserror` docs first.');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(mentee.getByRole('list', { name: 'Messages' }).getByText('read the')).toBeVisible();
  await expect(mentee.getByRole('status').filter({ hasText: 'A new message arrived.' })).toBeVisible();
  await screenshot(mentee, 'conversation');

  // Their inbox lists it; the notification says who wrote.
  await mentee.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Messages', exact: true }).click();
  await expect(mentee.getByRole('link', { name: 'Mentorship: talk_mentee and talk_mentor' })).toBeVisible();
  await expect(mentee.getByText('unread')).toHaveCount(0);
  await screenshot(mentee, 'messages');

  // Another member writes to the mentor from their profile.
  const third = await memberIn(browser, 'talk_third');
  await third.goto('/u/talk_mentor');
  await third.getByRole('link', { name: 'Message', exact: true }).click();
  await expect(third.getByLabel('To', { exact: true })).toHaveValue('talk_mentor');
  await third.getByRole('button', { name: 'Send' }).click();
  await expect(third.getByRole('alert')).not.toBeEmpty();
  await third.getByLabel('Subject').fill('Buy followers cheap');
  await third.getByLabel('Message', { exact: true }).fill('Best prices for followers!');
  await third.getByRole('button', { name: 'Send' }).click();
  await expect(third.getByRole('heading', { level: 1, name: 'Buy followers cheap' })).toBeVisible();

  // The mentor sees it in the inbox with its count, and reports it.
  await page.goto('/messages');
  const spam = page.getByRole('listitem').filter({ has: page.getByRole('link', { name: 'Buy followers cheap' }) });
  await expect(spam.getByText('1 unread')).toBeVisible();
  await spam.getByRole('link', { name: 'Buy followers cheap' }).click();
  await page.getByRole('button', { name: /^Report this message/ }).click();
  await page.getByRole('button', { name: 'Send the report' }).click();
  await expect(page.getByText('Thank you')).toBeVisible();

  // Turning messages to nobody: the next member is turned away without being told why.
  await page.goto('/settings/notifications');
  await page.getByLabel('Who may start a private conversation with me').selectOption('nobody');
  await page.getByRole('button', { name: 'Save the settings' }).click();
  await expect(page.getByText('Your settings were saved.')).toBeVisible();
  await third.goto('/messages/new?to=talk_mentor');
  await third.getByLabel('Subject').fill('Again');
  await third.getByLabel('Message', { exact: true }).fill('Hello?');
  await third.getByRole('button', { name: 'Send' }).click();
  await expect(third.getByRole('alert')).toHaveText('You cannot send messages to this member (or one of these members).');
});
