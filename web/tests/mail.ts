// Reads the mail `devforum serve` writes to files (email.transport = file).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from '@playwright/test';

const dir = process.env.MAIL_DIR ?? '../var/browser-mail';

/** The newest message to `to` that links to `path`: the link, waiting until it arrives. */
export async function linkFor(to: string, path: string): Promise<string> {
  let link: string | undefined;
  await expect
    .poll(
      () => {
        const files = readdirSync(dir)
          .map((name) => join(dir, name))
          .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
        for (const file of files) {
          // Quoted-printable: join soft line breaks, decode '='.
          const text = readFileSync(file, 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '=');
          if (!text.includes(to)) continue;
          const found = new RegExp(`https?://[^\\s"<>]+${path}\\?token=[A-Za-z0-9_-]+`).exec(text);
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
