// Plays the person at a real browser for gitsign's browser login: gitsign runs it as its
// urlOpener, `node login.mjs URL`. Headless Chromium (CHROMIUM, default /usr/bin/chromium) opens
// the authorization URL in a window a script opened (so that the page may close itself, as a
// browser allows only such windows), signs in to the devstack's issuer as BROWSER_EMAIL, follows
// the redirect to gitsign's loopback callback, then watches the page gitsign answered with for
// WATCH_SECONDS: whether and when it closes. Writes {text, closed_after_ms, text_at_end, scripts}
// as JSON to the file BROWSER_RESULT names (closed_after_ms: from the page's load; null: still
// open). Runs as root with --no-sandbox (Chromium refuses root with its sandbox on).
import { chromium } from "playwright-core";
import { writeFileSync } from "node:fs";

const url = process.argv[2];
const out = process.env.BROWSER_RESULT;
const watch = Number(process.env.WATCH_SECONDS || "10") * 1000;
const args = process.getuid && process.getuid() === 0 ? ["--no-sandbox"] : [];
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", headless: true, args });
try {
  const context = await browser.newContext();
  const start = await context.newPage();
  const [page] = await Promise.all([context.waitForEvent("page"), start.evaluate((u) => { window.open(u); }, url)]);
  await page.waitForLoadState("load");
  await page.fill("input[name=email]", process.env.BROWSER_EMAIL || "browser@example.com");
  await Promise.all([page.waitForURL(/\/auth\/callback/, { waitUntil: "load" }), page.click("button[type=submit]")]);
  const loaded = Date.now();
  const closed = page.waitForEvent("close", { timeout: watch }).then(() => Date.now() - loaded, () => null);
  const text = await page.locator("body").innerText();
  const scripts = await page.locator("script").count();
  const closedAfter = await closed;
  const textAtEnd = closedAfter === null ? await page.locator("body").innerText() : null;
  writeFileSync(out, JSON.stringify({ text, scripts, closed_after_ms: closedAfter, text_at_end: textAtEnd }));
} catch (e) {
  writeFileSync(out, JSON.stringify({ error: String(e && e.stack || e) }));
} finally {
  await browser.close();
}
