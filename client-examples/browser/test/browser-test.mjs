// Drives client-examples/browser/index.html in headless Chromium (Debian's
// package) through the local gateway: a valid token shows the identity and
// travels as a subprotocol, an expired one shows the refusal.
//
//   node browser-test.mjs PAGE_URL VALID_TOKEN EXPIRED_TOKEN [COOKIE_PAGE_URL COOKIE_WS_URL]
// With the last two (a second gateway reading the token from a cookie, only
// from its own origin): the cookie connects from that gateway's page and is
// refused from another origin, as a cross-site page would be.
// (run by scripts/test-clients.sh, which installs playwright-core beside it)
import { chromium } from "playwright-core";

const [pageUrl, validToken, expiredToken, cookiePageUrl, cookieWsUrl] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
let failures = 0;
async function check(name, token, selector, expected, url = `${pageUrl}?autoconnect=1`) {
  const page = await browser.newPage();
  try {
    await page.goto(`${url}&token=${encodeURIComponent(token)}`);
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
if (cookiePageUrl) {
  const cookie = `autoconnect=1&transport=cookie&url=${encodeURIComponent(cookieWsUrl)}`;
  await check("a cookie connects from the allowed origin", validToken, "#log", "connected (token in a cookie)",
    `${cookiePageUrl}?${cookie}`);
  await check("the same cookie from another origin is refused", validToken, "#state", "refused by the authorizer",
    `${pageUrl}?${cookie}`);
}
await browser.close();
process.exit(failures === 0 ? 0 : 1);
