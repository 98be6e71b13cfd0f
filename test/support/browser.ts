// A real browser for the HTML report tests: Debian's chromium, installed on first use by
// ensure-chromium.sh, driven headless by playwright-core. A page opened here records every
// console error, every uncaught exception and every request that would leave the disk.

import { execFileSync } from 'node:child_process';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ENSURE_SCRIPT = fileURLToPath(new URL('./ensure-chromium.sh', import.meta.url));

/** Installs chromium if it is missing (root and apt-get needed), then starts it. */
export async function launchBrowser(): Promise<Browser> {
  execFileSync('bash', [ENSURE_SCRIPT], { stdio: ['ignore', 'inherit', 'inherit'] });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface WatchedPage {
  page: Page;
  /** Console errors and uncaught exceptions, in order. */
  errors: string[];
  /** Requests for anything but file: and data: URLs: the report must need no network. */
  networkRequests: string[];
}

export async function openReport(browser: Browser, file: string): Promise<WatchedPage> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const networkRequests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`exception: ${error.message}`));
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith('file:') && !url.startsWith('data:')) networkRequests.push(url);
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { page, errors, networkRequests };
}

export interface ColourMatch {
  rgb: [number, number, number];
  /** Largest sum of channel differences that still counts as the colour. */
  tolerance?: number;
  /** Opacity range (0-255): lines are opaque, translucent bands are not. */
  alpha?: [number, number];
}

/** Pixels of a canvas close to a colour: how much of a line or band of it was drawn. */
export async function pixelsNear(
  page: Page,
  canvasSelector: string,
  match: ColourMatch,
): Promise<number> {
  const wanted = { tolerance: 60, alpha: [200, 255], ...match };
  return page.$eval(
    canvasSelector,
    (canvas, { rgb, tolerance, alpha }) => {
      const element = canvas as HTMLCanvasElement;
      const context = element.getContext('2d')!;
      const { data } = context.getImageData(0, 0, element.width, element.height);
      const [r, g, b] = rgb;
      let found = 0;
      for (let i = 0; i < data.length; i += 4) {
        const distance =
          Math.abs(data[i] - r) + Math.abs(data[i + 1] - g) + Math.abs(data[i + 2] - b);
        const opaque = data[i + 3] >= alpha[0] && data[i + 3] <= alpha[1];
        if (opaque && distance <= tolerance) found++;
      }
      return found;
    },
    wanted,
  );
}

/** Pixels that are not blank (transparent or white) anywhere in the canvas. */
export async function inkedPixels(page: Page, canvasSelector: string): Promise<number> {
  return page.$eval(canvasSelector, (canvas) => {
    const element = canvas as HTMLCanvasElement;
    const { data } = element.getContext('2d')!.getImageData(0, 0, element.width, element.height);
    let inked = 0;
    for (let i = 0; i < data.length; i += 4) {
      const white = data[i] > 245 && data[i + 1] > 245 && data[i + 2] > 245;
      if (data[i + 3] > 0 && !white) inked++;
    }
    return inked;
  });
}
