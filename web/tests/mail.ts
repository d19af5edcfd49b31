// Reads the mail `devforum serve` writes to files (email.transport = file).
import { readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
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

/** The envelope sender (return path) of the newest mail to `to`: the file transport writes
 * each message's envelope beside it as JSON. */
export async function returnPath(to: string): Promise<string> {
  let found: string | undefined;
  await expect
    .poll(
      () => {
        const envelopes = readdirSync(dir)
          .filter((name) => name.endsWith('.json'))
          .map((name) => join(dir, name))
          .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
          .map((file) => JSON.parse(readFileSync(file, 'utf8')) as { forward_path: string[]; reverse_path: string });
        found = envelopes.find((envelope) => envelope.forward_path.includes(to))?.reverse_path;
        return found !== undefined;
      },
      { message: `an envelope of a mail to ${to}`, timeout: 15_000 },
    )
    .toBe(true);
  return found!;
}

const bounceDir = process.env.BOUNCE_DIR ?? '../var/browser-bounces';

/** Delivers a hard bounce (Postfix's 5.1.1 "User unknown", tests/fixtures/bounces) for mail
 * sent with return path `path` into the Maildir devforum reads bounces from. */
export function bounce(path: string, id: string) {
  const report = readFileSync('../tests/fixtures/bounces/hard-5.1.1.eml', 'utf8')
    .replaceAll('{to}', path)
    .replaceAll('{id}', id);
  writeFileSync(join(bounceDir, 'tmp', `${id}.mx`), report);
  // Maildir delivery: written in tmp/, then moved into new/ whole.
  renameSync(join(bounceDir, 'tmp', `${id}.mx`), join(bounceDir, 'new', `${id}.mx`));
}
