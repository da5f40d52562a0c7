// Serves js/ on 127.0.0.1 and, in headless Debian Chromium (driven by playwright-core, no browser
// download): opens examples/cold-start.html in a fresh context and prints the cold start (import +
// init + connect) measured in the page; then opens examples/browser.html, which runs the README's
// browser example verbatim, and checks from its console output that it went through every
// progress step and ended with a verified registration. Needs the devnet and `js/build`.
import { fileURLToPath } from "node:url";
import { launchChromium } from "../../scripts/headless-chromium.mjs";
import { serveDir } from "../../scripts/static-server.mjs";

const { server, url: root } = await serveDir(fileURLToPath(new URL("..", import.meta.url)));
const browser = await launchChromium();
const problems = [];
try {
  const cold = await browser.newContext().then((c) => c.newPage());
  cold.on("pageerror", (e) => problems.push(`cold-start page error: ${e.message}`));
  await cold.goto(`${root}examples/cold-start.html`);
  await cold.waitForFunction(() => typeof window.coldStartMs === "number", null, { timeout: 60_000 });
  const ms = await cold.evaluate(() => window.coldStartMs);
  console.log(`cold start in headless Chromium (import + init + connect): ${ms.toFixed(0)} ms`);

  const page = await browser.newContext().then((c) => c.newPage());
  const lines = [];
  let ended;
  const done = new Promise((resolve) => (ended = resolve));
  page.on("pageerror", (e) => {
    problems.push(`page error: ${e.message}`);
    ended();
  });
  page.on("console", (m) => {
    const text = m.text();
    lines.push(text);
    console.log(`  page: ${text}`);
    if (/^(verified|failed) /.test(text)) ended();
  });
  await page.goto(`${root}examples/browser.html`);
  // Wait for the example's last line, at most 150 s; the timer is cleared so that a finished
  // run exits at once instead of keeping Node alive until it fires.
  let timer;
  const timedOut = new Promise((r) => (timer = setTimeout(() => r(true), 150_000)));
  if (await Promise.race([done, timedOut])) problems.push("no verified or failed line within 150 s");
  clearTimeout(timer);
  const steps = lines.map((l) => l.split(" ")[0]);
  const expected = ["submitted", "inBlock", "committee", "confirmation", "confirmation", "registered", "finalized", "testSignature", "verified"];
  const seen = steps.filter((s) => expected.includes(s));
  if (seen.join(",") !== expected.join(",")) problems.push(`steps were ${seen.join(", ")}; expected ${expected.join(", ")}`);
  if (!lines.some((l) => /^verified 0x0[23][0-9a-f]{64} 0x[0-9a-fA-F]{40}$/.test(l))) problems.push("no verified key and address");
} finally {
  await browser.close();
  server.close();
}
if (problems.length) {
  console.error(`the browser example did not end with a verified registration:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("ok: the README's browser example registered");
