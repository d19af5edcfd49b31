import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';
import { admin, logIn, member, memberIn, postThread, screenshot } from './helpers';
import { mailLink } from './mail';

test('search with filters kept in the URL, then open a hit', async ({ page }) => {
  await member(page, 'journey_three');
  await postThread(page, 'Zygomorphic trait objects in Rust', 'How do **zygomorphic** folds map to traits?', 'rust');
  await postThread(page, 'Zygomorphic folds in Haskell', 'The *zygomorphic* recursion scheme.', 'haskell');

  // One box in the header; the filters are on the results page.
  await page.getByRole('searchbox', { name: 'Search devforum' }).fill('zygomorphic');
  await page.getByRole('searchbox', { name: 'Search devforum' }).press('Enter');
  await expect(page.getByLabel('Words')).toHaveValue('zygomorphic');
  await page.getByLabel('Kind').selectOption('thread');
  // A tag typed as people type it is lower-cased, not refused.
  await page.getByLabel('Tag').fill('#Rust');
  // New posts are searchable within seconds: search again until the index has caught up.
  await expect(async () => {
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await expect(page.getByRole('link', { name: 'Zygomorphic trait objects in Rust' })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 15_000 });
  await expect(page).toHaveURL(/q=zygomorphic/);
  await expect(page).toHaveURL(/type=thread/);
  await expect(page).toHaveURL(/tag=rust/);
  await expect(page.getByRole('link', { name: 'Zygomorphic folds in Haskell' })).toHaveCount(0);
  await expect(page.locator('.hits mark').first()).toHaveText(/zygomorphic/i);

  // The filters survive a reload, and a hit opens its thread.
  await page.reload();
  await expect(page.getByLabel('Words')).toHaveValue('zygomorphic');
  await expect(page.getByLabel('Kind')).toHaveValue('thread');
  await page.getByRole('link', { name: 'Zygomorphic trait objects in Rust' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Zygomorphic trait objects in Rust' })).toBeVisible();
});

test('mentorship: a mentor offers, a mentee finds them by skill and asks, the mentor accepts from the mail', async ({
  page,
  browser,
}) => {
  await member(page, 'journey_mentor');
  await page.goto('/settings/mentor');
  await page.getByLabel('Headline').fill('Ten years of Rust services in production');
  await page.getByLabel('About you (Markdown)').fill('I review **async** code and help with ownership.');
  await page.getByLabel('Skills (separated by spaces)').fill('rust tokio');
  await page.getByLabel('Languages you mentor in (ISO codes such as en, de)').fill('en de');
  await page.getByLabel('Timezone').selectOption('Europe/Berlin');
  await page.getByLabel('How many mentees at once').fill('2');
  await page.getByRole('button', { name: 'Save the mentor profile' }).click();
  await expect(page.getByText('Your mentor profile was saved.')).toBeVisible();

  const mentee = await memberIn(browser, 'journey_mentee');
  await mentee.getByRole('link', { name: 'Mentors' }).click();
  await mentee.getByLabel('Skill', { exact: true }).fill('tokio');
  await mentee.getByLabel('Only mentors taking requests').check();
  await mentee.getByRole('button', { name: 'Filter' }).click();
  await expect(mentee).toHaveURL(/skill=tokio/);
  await expect(mentee.getByRole('link', { name: 'journey_mentor' })).toBeVisible();
  await screenshot(mentee, 'mentors');
  await mentee.getByRole('link', { name: 'journey_mentor' }).click();
  await expect(mentee.getByText('Ten years of Rust services in production')).toBeVisible();
  await mentee.getByLabel('A few words about you').fill('I write Go at work and want to move a service to Rust.');
  await mentee.getByLabel('What you want to achieve').fill('Ship the service by spring.');
  await mentee.getByRole('button', { name: 'Request mentorship' }).click();
  await expect(mentee.getByText('Status: pending')).toBeVisible();

  // Asking again while the request is open is refused, and the page says why.
  await mentee.goto('/mentors/journey_mentor');
  await mentee.getByLabel('A few words about you').fill('Again.');
  await mentee.getByLabel('What you want to achieve').fill('Again.');
  await mentee.getByRole('button', { name: 'Request mentorship' }).click();
  await expect(mentee.getByRole('alert')).toHaveText(/already have an open .*request with this mentor/);

  // The mentor's header counts what waits for them; their requests open where it waits.
  await page.goto('/');
  await expect(page.getByRole('link', { name: 'Requests, 1 waiting for you' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Notifications, 1 unread' })).toBeVisible();
  await page.goto('/mentorship-requests');
  await expect(page.getByRole('link', { name: /^Asked of me/ })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('link', { name: 'From journey_mentee' })).toBeVisible();

  // The mentor opens the request from the mail (which reads its notification) and accepts it.
  await page.goto(await mailLink('journey_mentor@example.com', /\/mentorship-requests\/\d+/));
  await expect(page.getByText('I write Go at work')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Notifications', exact: true })).toBeVisible();
  await page.getByLabel('A note for the mentee (optional)').fill('Happy to help. Let us start next week.');
  await page.getByRole('button', { name: 'Accept' }).click();
  await expect(page.getByText('Status: accepted')).toBeVisible();
  // It says what happened: the mentee is told in the app; mail only as their settings say.
  await expect(page.getByText('You accepted the request. The mentee sees it in their notifications.')).toBeVisible();
  await expect(page.getByText(/by email/)).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Requests', exact: true })).toBeVisible();
  await screenshot(page, 'mentorship-request');

  // The mentee sees it accepted, in their list and from their own mail.
  await mentee.goto(await mailLink('journey_mentee@example.com', /\/mentorship-requests\/\d+/));
  await expect(mentee.getByText('Status: accepted')).toBeVisible();
  await mentee.getByRole('link', { name: 'All your requests' }).click();
  await expect(mentee.getByRole('link', { name: 'To journey_mentor' })).toBeVisible();
});

/** One unfolded iCalendar content line's value by name (and its parameters). */
function icsProperty(text: string, name: string): { params: string; value: string } | null {
  const unfolded = text.replace(/\r\n[ \t]/g, '');
  const match = new RegExp(`^${name}((?:;[^:\\r\\n]*)?):(.*)$`, 'm').exec(unfolded);
  return match ? { params: match[1], value: match[2].replace(/\r$/, '') } : null;
}

test('meetups: 2 seats, three RSVPs, the third waitlisted and promoted when one withdraws; the .ics parses', async ({
  page,
  browser,
}) => {
  const year = new Date().getFullYear() + 1;
  await member(page, 'journey_organiser');
  await page.getByRole('link', { name: 'Meetups' }).click();
  await page.getByRole('link', { name: 'Organise a meetup' }).click();
  await page.getByLabel('Title').fill('Rust Berlin: async in practice');
  await page.getByLabel('Description (Markdown)').fill('Talks and **pretzels**.');
  await page.getByLabel('Timezone of the meetup').selectOption('Europe/Berlin');
  await page.getByLabel('Starts (in that timezone)').fill(`${year}-03-10T18:30`);
  await page.getByLabel('Ends').fill(`${year}-03-10T21:00`);
  await page.getByLabel('Venue name').fill('c-base');
  await page.getByLabel('Address').fill('Rungestraße 20');
  await page.getByLabel('City').fill('Berlin');
  await page.getByLabel('Country (two-letter code, e.g. DE)').fill('de');
  await page.getByLabel('Seats (empty for no limit)').fill('2');
  await page.getByLabel('Tags (separated by spaces)').fill('rust');
  await page.getByRole('button', { name: 'Create the meetup' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Rust Berlin: async in practice' })).toBeVisible();
  const meetupUrl = page.url();
  const id = Number(/\/m\/(\d+)\/[a-z0-9-]+$/.exec(meetupUrl)![1]);

  // It is listed by city.
  await page.goto('/meetups?city=Berlin');
  await expect(page.getByRole('link', { name: 'Rust Berlin: async in practice' })).toBeVisible();

  const [ann, ben, cat] = await Promise.all(
    ['journey_ann', 'journey_ben', 'journey_cat'].map((name) => memberIn(browser, name)),
  );
  for (const attendee of [ann, ben]) {
    await attendee.goto(meetupUrl);
    await attendee.getByRole('button', { name: 'RSVP: I am going' }).click();
    await expect(attendee.getByText('You are going.').first()).toBeVisible();
  }
  await cat.goto(meetupUrl);
  await cat.getByRole('button', { name: 'Join the waitlist' }).click();
  await expect(cat.getByText('You are number 1 on the waitlist.', { exact: true })).toBeVisible();

  // The organiser sees who comes.
  await page.goto(meetupUrl);
  await expect(page.getByRole('list', { name: 'Going' }).getByRole('listitem')).toHaveText(['journey_ann', 'journey_ben']);
  await expect(page.getByRole('list', { name: 'Waitlist' }).getByRole('listitem')).toHaveText(['journey_cat']);
  await screenshot(page, 'meetup');

  // Ann withdraws: Cat gets the seat and a mail that links to the meetup.
  await ann.getByRole('button', { name: 'I can no longer come' }).click();
  await expect(ann.getByText('You are no longer going.')).toBeVisible();
  await cat.goto(await mailLink('journey_cat@example.com', new RegExp(`/meetups/${id}`)));
  await expect(cat.getByText('You are going.')).toBeVisible();

  // The calendar file downloads and parses: one event, in the meetup's zone, as entered.
  const [download] = await Promise.all([
    cat.waitForEvent('download'),
    cat.getByRole('link', { name: 'Add to calendar (.ics)' }).click(),
  ]);
  const ics = readFileSync(await download.path(), 'utf8');
  expect(ics.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
  expect(ics.trimEnd().endsWith('END:VCALENDAR')).toBe(true);
  expect(ics.match(/^BEGIN:VEVENT\r$/gm)).toHaveLength(1);
  expect(icsProperty(ics, 'SUMMARY')?.value).toBe('Rust Berlin: async in practice');
  expect(icsProperty(ics, 'UID')?.value).toBeTruthy();
  const start = icsProperty(ics, 'DTSTART');
  // The first DTSTART may be a VTIMEZONE's; take the event's.
  const event = ics.slice(ics.indexOf('BEGIN:VEVENT'));
  expect(icsProperty(event, 'DTSTART')).toEqual({ params: ';TZID=Europe/Berlin', value: `${year}0310T183000` });
  expect(icsProperty(event, 'DTEND')).toEqual({ params: ';TZID=Europe/Berlin', value: `${year}0310T210000` });
  expect(start).not.toBeNull();
  expect(ics).toContain('TZID:Europe/Berlin');
  await Promise.all([ann, ben, cat].map((p) => p.context().close()));
});

test('report a reply; a moderator hides it from the queue; it is gone for members', async ({ page, browser }) => {
  await member(page, 'journey_author');
  const threadId = await postThread(page, 'Which editor do you use?', 'Asking for a friend.');
  const troll = await memberIn(browser, 'journey_troll');
  await troll.goto(`/threads/${threadId}`);
  await troll.getByLabel('Your reply (Markdown)').fill('Buy cheap watches at example.com!!!');
  await troll.getByRole('button', { name: 'Reply', exact: true }).click();
  await expect(troll.getByText('Your reply was posted.')).toBeVisible();
  await troll.context().close();

  await page.reload();
  await page.getByRole('button', { name: /^Report reply \d+ by journey_troll$/ }).click();
  await page.getByLabel(/Why are you reporting/).selectOption('spam');
  await page.getByLabel('Details (optional)').fill('Advertising.');
  await page.getByRole('button', { name: 'Send the report' }).click();
  await expect(page.getByText('Thank you: the moderators will look at it.')).toBeVisible();

  // An admin makes a member a moderator; the moderator works the queue.
  const boss = await admin(browser);
  const moderator = await memberIn(browser, 'journey_moderator');
  await boss.getByRole('link', { name: 'Roles' }).click();
  await boss.getByLabel('Username').fill('journey_moderator');
  await boss.getByLabel('Role').selectOption('moderator');
  await boss.getByRole('button', { name: 'Change the role' }).click();
  await expect(boss.getByText('journey_moderator is now a moderator.')).toBeVisible();
  await boss.context().close();

  await logIn(moderator, 'journey_moderator');
  await moderator.getByRole('link', { name: 'Moderation' }).click();
  const report = moderator.getByRole('list', { name: 'Reports' }).getByRole('listitem').filter({ hasText: 'cheap watches' });
  await expect(report).toContainText('Reported by journey_author');
  // The item says what was reported, by whom and where, and links to it.
  const reported = report.getByRole('link', { name: 'Reply by journey_troll in “Which editor do you use?”' });
  await expect(reported).toHaveAttribute('href', new RegExp(`^/t/${threadId}#reply-\\d+$`));
  await screenshot(moderator, 'moderation');
  await report.getByLabel('Note for the log (optional)').fill('Spam.');
  await report.getByRole('button', { name: /^Hide reply/ }).click();
  await expect(moderator.getByText('The reply is hidden and its reports resolved.')).toBeVisible();
  await expect(report).toHaveCount(0);
  await moderator.getByRole('link', { name: 'Log' }).click();
  await expect(moderator.getByRole('cell', { name: 'hide', exact: true })).toBeVisible();
  // The log links what it names.
  await expect(moderator.getByRole('link', { name: /^reply \d+$/ })).toHaveAttribute('href', new RegExp(`^/t/${threadId}#reply-\\d+$`));
  await moderator.context().close();

  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Which editor do you use?' })).toBeVisible();
  await expect(page.getByText('cheap watches')).toHaveCount(0);
});

test('a hidden reply is appealed from the mail and overturned from the appeals queue; it is back for members', async ({
  page,
  browser,
}) => {
  await member(page, 'appeal_asker');
  const threadId = await postThread(page, 'Is tabs or spaces settled?', 'Asking for a style guide.');
  const writer = await memberIn(browser, 'appeal_writer');
  await writer.goto(`/threads/${threadId}`);
  await writer.getByLabel('Your reply (Markdown)').fill('Tabs, obviously; fight me.');
  await writer.getByRole('button', { name: 'Reply', exact: true }).click();
  await expect(writer.getByText('Your reply was posted.')).toBeVisible();

  await page.reload();
  await page.getByRole('button', { name: /^Report reply \d+ by appeal_writer$/ }).click();
  await page.getByLabel(/Why are you reporting/).selectOption('abuse');
  await page.getByRole('button', { name: 'Send the report' }).click();
  await expect(page.getByText('Thank you: the moderators will look at it.')).toBeVisible();
  const boss = await admin(browser);
  await boss.goto('/mod');
  const report = boss.getByRole('list', { name: 'Reports' }).getByRole('listitem').filter({ hasText: 'fight me' });
  await expect(report).toContainText('Reported by appeal_asker (new)');
  await report.getByRole('button', { name: /^Hide reply/ }).click();
  await expect(report).toHaveCount(0);

  // The mail about the hide links to the appeal page.
  await writer.goto(await mailLink('appeal_writer@example.com', /\/appeal\/\d+/));
  await expect(writer.getByRole('heading', { level: 1, name: 'Appeal a moderation action' })).toBeVisible();
  await writer.getByRole('button', { name: 'Send the appeal' }).click();
  await expect(writer.getByText('must not be empty', { exact: true })).toBeVisible();
  await writer.getByLabel('Why should this be undone?').fill('It was a joke between colleagues.');
  await writer.getByRole('button', { name: 'Send the appeal' }).click();
  await expect(writer.getByText('Your appeal is with the moderators.')).toBeVisible();
  await writer.context().close();

  await boss.getByRole('link', { name: 'Appeals' }).click();
  const appeal = boss.getByRole('article').filter({ hasText: 'It was a joke between colleagues.' });
  await expect(appeal).toContainText('appealed by appeal_writer');
  await screenshot(boss, 'appeals');
  await appeal.getByLabel('Note to appeal_writer').fill('Fair enough; keep it friendly.');
  await appeal.getByRole('button', { name: 'Overturn (undo the action)' }).click();
  await expect(boss.getByText('Appeal by appeal_writer overturned')).toBeVisible();
  await boss.context().close();

  await page.reload();
  await expect(page.getByText('Tabs, obviously; fight me.')).toBeVisible();
});

test('notifications: a reply and a mention reach the badge and the open inbox live, and reading clears them', async ({ page, browser }) => {
  await member(page, 'journey_asker');
  const threadId = await postThread(page, 'Why is my build slow?', 'Cold builds take ages on 2 cores.');
  await expect(page.getByLabel('Notifications for this thread')).toHaveValue('watching');
  // The asker waits on the thread's page: nothing is clicked or reloaded until the badge moves.
  const badge = page.getByRole('link', { name: 'Notifications, 1 unread' });

  const helper = await memberIn(browser, 'journey_helper');
  await helper.goto(`/threads/${threadId}`);
  await helper.getByLabel('Your reply (Markdown)').fill('Keep one target directory.');
  await helper.getByRole('button', { name: 'Reply', exact: true }).click();
  await expect(helper.getByText('Your reply was posted.')).toBeVisible();

  // Live: the stream brings the count without a navigation.
  await expect(badge).toBeVisible({ timeout: 15_000 });

  // With the inbox open, a mention in another thread appears on top by itself.
  await badge.click();
  await expect(page.getByRole('link', { name: 'journey_helper replied to your thread “Why is my build slow?”' })).toBeVisible();
  const other = await postThread(helper, 'Linker choices', 'Has @journey_asker tried mold?');
  await expect(helper.getByRole('link', { name: '@journey_asker' })).toHaveAttribute('href', '/users/journey_asker');
  await expect(page.getByRole('link', { name: 'journey_helper mentioned you in “Linker choices”' })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole('link', { name: 'Notifications, 2 unread' })).toBeVisible();
  await helper.context().close();
  expect(other).toBeGreaterThan(0);

  await page.goto('/');
  await page.getByRole('link', { name: 'Notifications, 2 unread' }).click();

  const item = page.getByRole('link', { name: 'journey_helper replied to your thread “Why is my build slow?”' });
  await expect(item).toBeVisible();
  await screenshot(page, 'notifications');
  await item.click();
  await expect(page.getByRole('heading', { level: 1, name: 'Why is my build slow?' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Notifications, 1 unread' })).toBeVisible();
  await page.goto('/notifications?unread=true');
  await page.getByRole('button', { name: 'Mark all as read' }).click();
  await expect(page.getByText('Nothing unread.')).toBeVisible();
  await expect(page.getByRole('link', { name: 'Notifications', exact: true })).toBeVisible();

  // Muting the thread is kept.
  await page.goto(`/threads/${threadId}`);
  await expect(page.getByLabel('Notifications for this thread')).toHaveValue('watching');
  await page.getByLabel('Notifications for this thread').selectOption('muted');
  await expect(page.getByText('You will hear nothing of this thread.')).toBeVisible();
  await page.reload();
  await expect(page.getByLabel('Notifications for this thread')).toHaveValue('muted');
});

test('email settings: a member chooses mail at once, a reply is mailed, and its link unsubscribes from the thread', async ({ page, browser }) => {
  await member(page, 'journey_mailer');
  await page.goto('/notifications');
  await page.getByRole('link', { name: 'Email settings' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Email notifications' })).toBeVisible();
  await expect(page.getByRole('radio', { name: /^Only when I am away/ })).toBeChecked();
  await expect(page.getByLabel('A digest of the threads and tags I watch')).toHaveValue('weekly');
  await page.getByLabel('Email me at once').check();
  await page.getByLabel('A digest of the threads and tags I watch').selectOption('daily');
  await page.getByRole('button', { name: 'Save the settings' }).click();
  await expect(page.getByText('Your settings were saved.')).toBeVisible();
  await screenshot(page, 'email-settings');
  await page.reload();
  await expect(page.getByLabel('Email me at once')).toBeChecked();
  await expect(page.getByLabel('A digest of the threads and tags I watch')).toHaveValue('daily');

  const threadId = await postThread(page, 'Tabs or spaces in Makefiles?', 'I keep getting “missing separator”.');
  const answerer = await memberIn(browser, 'journey_answerer');
  await answerer.goto(`/threads/${threadId}`);
  await answerer.getByLabel('Your reply (Markdown)').fill('Recipes need a tab.');
  await answerer.getByRole('button', { name: 'Reply', exact: true }).click();
  await expect(answerer.getByText('Your reply was posted.')).toBeVisible();
  await answerer.context().close();

  // The mail's footer link opens a page that asks first (mail scanners open links too).
  const link = await mailLink('journey_mailer@example.com', /\/unsubscribe\?token=[A-Za-z0-9_.-]+/);
  await page.goto(link);
  const stop = page.getByRole('button', { name: 'Stop notifications about “Tabs or spaces in Makefiles?”' });
  await expect(stop).toBeVisible();
  await page.goto(`/threads/${threadId}`);
  await expect(page.getByLabel('Notifications for this thread')).toHaveValue('watching');
  await page.goto(link);
  await page.getByRole('button', { name: 'Stop notifications about “Tabs or spaces in Makefiles?”' }).click();
  await expect(page.getByText(/You are unsubscribed/)).toBeVisible();
  await page.goto(`/threads/${threadId}`);
  await expect(page.getByLabel('Notifications for this thread')).toHaveValue('muted');
  // A used link says so and changes nothing.
  await page.goto(link);
  await expect(page.getByRole('alert')).toContainText('not valid');
});
