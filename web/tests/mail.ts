// Reads the mail `devforum serve` writes to files (email.transport = file).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from '@playwright/test';

const dir = process.env.MAIL_DIR ?? '../var/browser-mail';

/** The decoded text of every message to `to`, newest first. */
function messagesTo(to: string): string[] {
  return readdirSync(dir)
    .map((name) => join(dir, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    .map((file) => readFileSync(file, 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '='))
    .filter((text) => text.includes(to));
}

/** The newest link in a message to `to` whose path (and query) matches `path`, waiting until
 * such a message arrives. */
export async function mailLink(to: string, path: RegExp): Promise<string> {
  let link: string | undefined;
  const pattern = new RegExp(`https?://[^\\s"<>/]+(${path.source})`);
  await expect
    .poll(
      () => {
        for (const text of messagesTo(to)) {
          const found = pattern.exec(text);
          if (found) {
            link = found[0];
            return true;
          }
        }
        return false;
      },
      { message: `an email to ${to} linking to ${path}`, timeout: 15_000 },
    )
    .toBe(true);
  return link!;
}

/** The link with a token to `path` (/verify-email, /reset-password) in the newest mail to `to`. */
export function linkFor(to: string, path: string): Promise<string> {
  return mailLink(to, new RegExp(`${path}\\?token=[A-Za-z0-9_-]+`));
}
