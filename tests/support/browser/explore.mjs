// Drives headless Chromium (Debian's `chromium`, through playwright-core) for the log explorer's
// browser tests: `node explore.mjs SPEC.json`. SPEC: {"chromium": path, "javascript": bool,
// "steps": [...]}, each step one of
//   {"goto": url}                       open a page
//   {"fill": css, "value": text}        type into a field
//   {"click": css}                      click (e.g. a form's button) and wait for the page it loads
//   {"screenshot": path}                save the whole page as PNG
//   {"read": name}                      record what a person sees now
// Prints {"reads": {name: {url, status, title, text, scripts, images, dialogs}}} as JSON. Dialogs
// (alert, confirm) are recorded and dismissed: a page that runs script it was not meant to shows
// up there. Runs as root with --no-sandbox (Chromium refuses root with its sandbox on).
import { chromium } from "playwright-core";
import { readFileSync } from "node:fs";

const spec = JSON.parse(readFileSync(process.argv[2], "utf8"));
const args = process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : [];
const browser = await chromium.launch({ executablePath: spec.chromium, headless: true, args });
try {
  const context = await browser.newContext({ javaScriptEnabled: spec.javascript !== false, viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  const dialogs = [];
  page.on("dialog", async (d) => { dialogs.push(`${d.type()}: ${d.message()}`); await d.dismiss(); });
  let status = null;
  const reads = {};
  for (const step of spec.steps) {
    if (step.goto !== undefined) {
      const resp = await page.goto(step.goto, { waitUntil: "load" });
      status = resp ? resp.status() : null;
    } else if (step.fill !== undefined) {
      await page.fill(step.fill, step.value);
    } else if (step.click !== undefined) {
      const [resp] = await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click(step.click)]);
      status = resp ? resp.status() : null;
    } else if (step.screenshot !== undefined) {
      await page.screenshot({ path: step.screenshot, fullPage: true });
    } else if (step.read !== undefined) {
      // Read through the DOM without page script (works with JavaScript off too).
      const text = await page.locator("body").innerText();
      reads[step.read] = {
        url: page.url(),
        status,
        title: await page.title(),
        text,
        scripts: await page.locator("script").count(),
        images: await page.locator("img").count(),
        dialogs: [...dialogs],
      };
    } else {
      throw new Error(`unknown step ${JSON.stringify(step)}`);
    }
  }
  // Give any stray script (an onerror handler) a moment to fire before the last count.
  await page.waitForTimeout(300);
  process.stdout.write(JSON.stringify({ reads, dialogs }) + "\n");
} finally {
  await browser.close();
}
