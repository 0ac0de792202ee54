/**
 * The demo run's report in a real browser: headless Chromium (Debian's `chromium`, driven over
 * CDP by puppeteer-core; no browser download) opens the file offline, and the test checks that
 * nothing is fetched, nothing is logged as an error, and every plot is drawn and not blank.
 * Pending, with the reason, where Chromium is not installed (`.ci/run` installs it).
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildReport } from '../../src/report/build-report.ts';
import { Store } from '../../src/store/store.ts';
import { runCampaign, tempDir } from './report-runs.ts';

/** Where Debian puts Chromium; CHROMIUM_PATH overrides. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const NO_CHROMIUM = `pending: no Chromium at ${CHROMIUM} (apt-get install chromium; CI installs it)`;

/** Counts non-white pixels and distinct colours of a base64 PNG, in the page (a string: no DOM types here). */
const INK_COUNTER = `async (b64) => {
  const img = new Image();
  img.src = 'data:image/png;base64,' + b64;
  await img.decode();
  const c = document.createElement('canvas');
  c.width = img.width;
  c.height = img.height;
  const g = c.getContext('2d');
  g.drawImage(img, 0, 0);
  const d = g.getImageData(0, 0, c.width, c.height).data;
  let inked = 0;
  const colours = new Set();
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] < 245 || d[i + 1] < 245 || d[i + 2] < 245) inked++;
    colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
  }
  return { inked: inked / (d.length / 4), colours: colours.size };
}`;

/** Share of a plot's pixels that differ from the white background, and its distinct colours. */
interface Ink {
  id: string;
  marks: number;
  inked: number;
  colours: number;
}

describe('report in headless Chromium', function () {
  this.timeout(180_000);

  it('renders the demo report offline: no requests, no console errors, every plot drawn', async function () {
    if (!existsSync(CHROMIUM)) {
      this.test!.title += ` — ${NO_CHROMIUM}`;
      this.skip();
    }
    const dir = tempDir();
    const db = join(dir, 'demo.db');
    const uuid = await runCampaign(db, 'demo');
    const reader = Store.openReader(db);
    const built = await buildReport(reader, [reader.findRun(uuid)], { softwareVersion: 'test' });
    reader.close();
    const file = join(dir, 'report.html');
    writeFileSync(file, built.html);
    const url = pathToFileURL(file).href;

    const { launch } = await import('puppeteer-core');
    const browser = await launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    try {
      const page = await browser.newPage();
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (r) => {
        if (r.url() !== url && !r.url().startsWith('data:')) requests.push(r.url());
      });
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warn') errors.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`pageerror: ${String(e)}`));
      page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
      await page.setViewport({ width: 1280, height: 900 });
      await page.goto(url, { waitUntil: 'load' });
      const shot = join(dir, 'report.png');
      await page.screenshot({ path: shot, fullPage: true });
      assert.deepEqual(requests, [], 'no network requests');
      assert.deepEqual(errors, [], 'no console errors');
      assert.ok(existsSync(shot), 'screenshot taken');

      // Count inked pixels of each plot's data marks alone (axes, grid, legends and titles hidden,
      // so a plot without data would be white), decoded from its screenshot by the browser itself.
      await page.setBypassCSP(true);
      await page.reload({ waitUntil: 'load' });
      await page.addStyleTag({
        content: '.role-axis, .role-legend, .role-title { visibility: hidden !important; }',
      });
      // Each plot's id, mark count and box on the page (a string: this project compiles without DOM types).
      const plots = (await page.evaluate(`[...document.querySelectorAll('figure.plot')].map((f) => {
        const svg = f.querySelector('svg');
        const r = svg.getBoundingClientRect();
        return {
          id: f.id,
          marks: svg.querySelectorAll('.role-mark path, .role-mark rect, .role-mark image, .role-mark line').length,
          box: { x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height },
        };
      })`)) as {
        id: string;
        marks: number;
        box: { x: number; y: number; width: number; height: number };
      }[];
      assert.equal(plots.length, built.figures.length, 'every figure in the page');
      const inks: Ink[] = [];
      for (const plot of plots) {
        const png = Buffer.from(
          await page.screenshot({
            clip: plot.box,
            captureBeyondViewport: true,
            encoding: 'binary',
          }),
        ).toString('base64');
        const counted = (await page.evaluate(`(${INK_COUNTER})(${JSON.stringify(png)})`)) as {
          inked: number;
          colours: number;
        };
        inks.push({ id: plot.id, marks: plot.marks, ...counted });
      }
      for (const ink of inks) {
        assert.ok(ink.marks > 0, `${ink.id}: SVG marks drawn (${ink.marks})`);
        // With axes, grid, legends and titles hidden a plot without data is pure white (0%).
        assert.ok(
          ink.inked > 0.005,
          `${ink.id}: data drawn (${(100 * ink.inked).toFixed(1)}% inked)`,
        );
        assert.ok(ink.colours > 4, `${ink.id}: more than background colours (${ink.colours})`);
      }
      const heat = inks.find((i) => i.id.startsWith('heatmap-'));
      assert.ok(heat && heat.colours > 50, `the heat-maps show many colours (${heat?.colours})`);
      console.log(
        `      screenshot ${shot}; ${inks.map((i) => `${i.id} ${(100 * i.inked).toFixed(0)}%`).join(', ')}`,
      );
    } finally {
      await browser.close();
    }
  });
});
