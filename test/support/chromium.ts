/**
 * Headless Chromium for the browser tests: the Debian `chromium` package driven by playwright-core (no browser
 * download). CHROMIUM_PATH points at another binary.
 */
import type { TestFn } from 'ava';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** --no-sandbox: containers run the tests as root without user namespaces; the others keep runs quiet and offline. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking'];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Where browser tests save screenshots (git-ignored); created on first use. */
export const TEST_RESULTS_DIR = join(__dirname, '..', '..', 'test-results');

export function screenshotPath(name: string): string {
  mkdirSync(TEST_RESULTS_DIR, { recursive: true });
  return join(TEST_RESULTS_DIR, name);
}

/** One Chromium per test file: launched before its tests, closed after them (also when they fail). */
export function useChromium(test: TestFn): () => Browser {
  let browser: Browser | undefined;
  test.before(async () => {
    browser = await launchChromium();
  });
  test.after.always(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('Chromium is not running (useChromium registers test.before)');
    return browser;
  };
}
