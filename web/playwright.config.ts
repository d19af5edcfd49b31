import { defineConfig } from '@playwright/test';

// Journeys in Debian's Chromium (never a downloaded browser) against a real `devforum serve`
// that scripts/browser-test starts with its own database and mail written to files.
export default defineConfig({
  testDir: 'tests',
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    baseURL: process.env.DEVFORUM_URL ?? 'http://127.0.0.1:18097',
    launchOptions: { executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium' },
    trace: 'off',
  },
});
