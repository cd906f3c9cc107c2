// Drives client-examples/browser/index.html in headless Chromium (Debian's
// package) through the local gateway: a valid token shows the identity and
// travels as a subprotocol, an expired one shows the refusal.
//
//   node browser-test.mjs PAGE_URL VALID_TOKEN EXPIRED_TOKEN
// (run by scripts/test-clients.sh, which installs playwright-core beside it)
import { chromium } from "playwright-core";

const [pageUrl, validToken, expiredToken] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
let failures = 0;
async function check(name, token, selector, expected) {
  const page = await browser.newPage();
  try {
    await page.goto(`${pageUrl}?autoconnect=1&token=${encodeURIComponent(token)}`);
    await page.waitForFunction(
      ([selector, expected]) => document.querySelector(selector)?.textContent.includes(expected),
      [selector, expected],
      { timeout: 10000 },
    );
    console.log(`ok: ${name}`);
  } catch (error) {
    failures += 1;
    const state = await page.textContent("#state").catch(() => "?");
    const log = await page.textContent("#log").catch(() => "?");
    console.log(`FAILED: ${name}: ${error.message.split("\n")[0]} (state: ${state}; log: ${log})`);
  } finally {
    await page.close();
  }
}
await check("valid token shows the connected identity", validToken, "#identity", "browser-alice");
await check("the token travels as a subprotocol", validToken, "#log", "connected (token in Sec-WebSocket-Protocol)");
await check("expired token shows the refusal", expiredToken, "#state", "refused by the authorizer");
await browser.close();
process.exit(failures === 0 ? 0 : 1);
