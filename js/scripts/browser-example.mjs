// Serves js/ on 127.0.0.1, opens examples/browser.html in headless Debian Chromium (driven by
// playwright-core, no browser download), waits for the verified registration, and prints the
// cold start (import + init + connect) measured in the page. Needs the devnet and `js/build`.
import { fileURLToPath } from "node:url";
import { launchChromium } from "../../scripts/headless-chromium.mjs";
import { serveDir } from "../../scripts/static-server.mjs";

const { server, url: root } = await serveDir(fileURLToPath(new URL("..", import.meta.url)));
const url = `${root}examples/browser.html`;
const browser = await launchChromium();
let failed = false;
try {
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(url);
  await page.waitForFunction(
    () => /verified:|failed/.test(document.getElementById("out").textContent),
    null,
    { timeout: 120_000 },
  );
  const text = await page.textContent("#out");
  console.log(text);
  const cold = await page.evaluate(() => window.coldStartMs);
  console.log(`cold start in headless Chromium (import + init + connect): ${cold.toFixed(0)} ms`);
  failed = !/verified: 0x0[23][0-9a-f]{64}/.test(text);
} finally {
  await browser.close();
  server.close();
}
if (failed) {
  console.error("the browser example did not end with a verified registration");
  process.exit(1);
}
console.log("ok: the browser example registered");
