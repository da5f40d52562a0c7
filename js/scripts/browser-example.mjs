// Serves js/ on 127.0.0.1, opens examples/browser.html in headless Debian Chromium (driven by
// playwright-core, no browser download), waits for the verified registration, and prints the
// cold start (import + init + connect) measured in the page. Needs the devnet and `js/build`.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = fileURLToPath(new URL("..", import.meta.url));
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
const server = createServer(async (req, res) => {
  const path = normalize(join(root, new URL(req.url, "http://x").pathname));
  if (!path.startsWith(root)) return res.writeHead(403).end();
  try {
    const body = await readFile(path);
    res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}/examples/browser.html`;
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
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
