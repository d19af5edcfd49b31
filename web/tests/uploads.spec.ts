import AxeBuilder from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { memberIn, postThread, screenshot } from './helpers';

const WCAG_22_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** A PNG drawn by the page itself (a build log's red line on grey): no fixture files. */
async function drawnPng(
  page: Page,
  width: number,
  height: number,
  label: string,
  colours = { background: '#eef1f4', text: '#b42318', font: '20px monospace' },
): Promise<Buffer> {
  const dataUrl = await page.evaluate(
    ([w, h, text, c]) => {
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      const g = canvas.getContext('2d')!;
      g.fillStyle = c.background;
      g.fillRect(0, 0, w, h);
      g.fillStyle = c.text;
      g.font = c.font;
      g.textAlign = c.font.startsWith('20px') ? 'left' : 'center';
      g.textBaseline = 'middle';
      g.fillText(text, c.font.startsWith('20px') ? 16 : w / 2, h / 2);
      return canvas.toDataURL('image/png');
    },
    [width, height, label, colours] as const,
  );
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

/** Pastes an image into a text area as a browser does when a screenshot is on the clipboard. */
async function pasteImage(page: Page, selector: string, png: Buffer, name: string) {
  await page.locator(selector).evaluate(
    (area, [bytes, fileName]) => {
      const file = new File([new Uint8Array(bytes as number[])], fileName as string, { type: 'image/png' });
      const data = new DataTransfer();
      data.items.add(file);
      area.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    },
    [Array.from(png), name] as const,
  );
}

test('a screenshot pasted into a reply shows in the thread, and a picture follows its member', async ({ browser }) => {
  const page = await memberIn(browser, 'pia');
  const thread = await postThread(page, 'Cargo build fails on the CI runner', 'It works locally. Any idea?', 'rust');

  // Paste a screenshot into the reply: a placeholder while it uploads, then its Markdown.
  const shot = await drawnPng(page, 640, 200, 'error[E0463]: can\'t find crate');
  await page.getByLabel('Your reply (Markdown)').fill('Here is the error:');
  await pasteImage(page, '#reply-body', shot, 'build-error.png');
  await expect(page.getByLabel('Your reply (Markdown)')).toHaveValue(/!\[build-error\]\(\/files\/[0-9a-f]{64}\.png\)/);
  await page.getByRole('button', { name: 'Reply', exact: true }).click();
  const image = page.locator('.replies img[alt="build-error"]');
  await expect(image).toBeVisible();
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(640);
  await page.reload();
  await expect(page.locator('.replies img[alt="build-error"]')).toBeVisible();

  // The keyboard's way: the composer's button opens the file picker.
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Attach a file' }).click();
  await (await chooser).setFiles({ name: 'second.png', mimeType: 'image/png', buffer: await drawnPng(page, 300, 120, 'again') });
  await expect(page.getByLabel('Your reply (Markdown)')).toHaveValue(/!\[second\]\(\/files\/[0-9a-f]{64}\.png\)/);

  const axe = await new AxeBuilder({ page }).withTags(WCAG_22_AA).analyze();
  expect(axe.violations).toEqual([]);
  await screenshot(page, 'reply-with-screenshot');

  // A picture: uploaded from the profile settings, then shown beside the member's threads.
  await page.goto('/settings/profile');
  await expect(page.getByRole('heading', { name: 'Picture' })).toBeVisible();
  const picker = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Upload a picture' }).click();
  await (await picker).setFiles({ name: 'pia.png', mimeType: 'image/png', buffer: await drawnPng(page, 300, 200, 'P', { background: '#0f766e', text: '#ffffff', font: 'bold 120px sans-serif' }) });
  await expect(page.getByText('Your picture was saved.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Remove picture' })).toBeVisible();
  const header = page.getByRole('link', { name: 'Your profile (signed in as pia)' }).locator('img');
  await expect(header).toHaveAttribute('src', /^\/files\/[0-9a-f]{64}_small\.jpg$/);
  const profileAxe = await new AxeBuilder({ page }).withTags(WCAG_22_AA).analyze();
  expect(profileAxe.violations).toEqual([]);
  await screenshot(page, 'profile-picture');

  await page.goto('/');
  const row = page.locator('li.thread').filter({ hasText: 'Cargo build fails on the CI runner' });
  const avatar = row.locator('img.avatar');
  await expect(avatar).toBeVisible();
  await expect.poll(() => avatar.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(200);
  await page.goto(`/threads/${thread}`);
  await expect(page.locator('article img.avatar')).toBeVisible();
  await screenshot(page, 'thread-with-avatars');
});
