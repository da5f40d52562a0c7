// The demo page in headless Debian Chromium (playwright-core, no browser download), against the
// running devnet: a Public, a Private and a client-dealt registration (the displayed key is
// checked against `Registered` read straight from the node), an unfunded account's error, the layout at
// 1280×800 and at phone width. Screenshots go to $SCREENSHOTS_DIR (default .devnet/screenshots).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../../scripts/headless-chromium.mjs";
import { keyShareVerifyingKey } from "entropy-register";
import { serve } from "../serve.mjs";
import { createECDH } from "node:crypto";
import { dealtCommitmentsOnChain, registeredOnChain } from "./chain.mjs";

/** The compressed secp256k1 public key of a hex secret, by Node's own crypto. */
function createPublicKeyOf(secretHex) {
  const ecdh = createECDH("secp256k1");
  ecdh.setPrivateKey(Buffer.from(secretHex.replace(/^0x/, ""), "hex"));
  return "0x" + ecdh.getPublicKey("hex", "compressed");
}

const repo = fileURLToPath(new URL("../..", import.meta.url));
const shots = process.env.SCREENSHOTS_DIR ?? join(repo, ".devnet", "screenshots");
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
let browser, server, url;

before(async () => {
  await mkdir(shots, { recursive: true });
  console.log(`screenshots: ${shots}`);
  ({ server, url } = await serve(0));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
});

async function open(viewport = DESKTOP) {
  const page = await browser.newPage({ viewport, acceptDownloads: true });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('#connection[data-state="ok"]', { timeout: 30_000 });
  return { page, errors };
}

/** Fills the form for a fresh account and presses Register; resolves when it ended. */
async function register(page, { mode, fund = true, programFile }) {
  await page.check('input[name="account"][value="fresh"]');
  if (!fund) await page.uncheck("#fund");
  if (programFile) {
    await page.check('input[name="program"][value="upload"]');
    await page.setInputFiles("#program-file", programFile);
  }
  await page.check(`input[name="mode"][value="${mode}"]`);
  await page.click("#register");
  await page.waitForSelector("#result:not([hidden]), #error:not([hidden])", { timeout: 120_000 });
}

const steps = (page) =>
  page.$$eval("#timeline li", (lis) =>
    lis.map((li) => ({
      type: li.dataset.type,
      block: li.querySelector(".block") ? Number(li.querySelector(".block").dataset.block) : null,
      detail: li.querySelector(".step-detail")?.textContent ?? "",
    })),
  );

async function noHorizontalScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1);
}

test("Public registration: the page shows the key the chain holds", async () => {
  const { page, errors } = await open();
  await register(page, { mode: "public" });
  assert.equal(await page.isVisible("#error"), false, await page.textContent("#error"));
  const vk = (await page.textContent("#vk")).trim();
  assert.match(vk, /^0x0[23][0-9a-f]{64}$/);
  assert.match(await page.textContent("#eth"), /^0x[0-9a-fA-F]{40}$/);

  const onChain = await registeredOnChain(vk);
  assert.ok(onChain, `Registered[${vk}] is not on chain`);
  assert.equal(onChain.accessMode, "public");
  assert.deepEqual(onChain.programs, ["0x" + "00".repeat(32)]);

  const s = await steps(page);
  const types = s.map((x) => x.type);
  for (const t of ["account", "funded", "submitted", "inBlock", "committee", "registered", "finalized", "testSignature"]) {
    assert.ok(types.includes(t), `timeline lacks ${t}: ${types}`);
  }
  assert.match(await page.textContent("#test-signature"), /^✓ verified under the key: 0x[0-9a-f]+…/);
  assert.equal(types.filter((t) => t === "confirmation").length, 2, `${types}`);
  const n = s.find((x) => x.type === "inBlock").block;
  assert.equal(s.find((x) => x.type === "committee").block, n + 1);
  const registered = s.find((x) => x.type === "registered").block;
  assert.ok(registered > n, `registered ${registered} after inclusion ${n}`);
  assert.equal(await page.locator("#committee tr").count(), 2);
  assert.equal(await page.isVisible("#share"), false, "no share in Public mode");

  await page.screenshot({ path: join(shots, "public-1280x800.png"), fullPage: true });
  await page.setViewportSize(PHONE);
  await page.screenshot({ path: join(shots, "public-phone.png"), fullPage: true });
  assert.ok(await noHorizontalScroll(page), "the page scrolls sideways at phone width");
  // Every receipt is readable at phone width: no table cell is cut off at the right edge.
  const overflowing = await page.$$eval("#committee td", (tds) =>
    tds.filter((td) => td.getBoundingClientRect().right > document.documentElement.clientWidth).map((td) => td.textContent),
  );
  assert.deepEqual(overflowing, [], "table cells cut off at phone width");
  assert.deepEqual(errors, []);
  await page.close();
});

test("Private registration with an uploaded program: the downloaded share is of the key", async () => {
  const { page, errors } = await open();
  const program = {
    name: "program.bin",
    mimeType: "application/octet-stream",
    buffer: Buffer.from(`demo program ${Date.now()} ${Math.random()}`),
  };
  await register(page, { mode: "private", programFile: program });
  assert.equal(await page.isVisible("#error"), false, await page.textContent("#error"));
  const vk = (await page.textContent("#vk")).trim();
  const stored = (await steps(page)).find((x) => x.type === "program");
  assert.ok(stored, "the program step is shown");
  const pointer = stored.detail.trim();

  const onChain = await registeredOnChain(vk);
  assert.ok(onChain, `Registered[${vk}] is not on chain`);
  assert.equal(onChain.accessMode, "private");
  assert.deepEqual(onChain.programs, [pointer]);

  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#share-download")]);
  const file = JSON.parse(await readFile(await download.path(), "utf8"));
  assert.equal(file.verifyingKey, vk);
  assert.equal(keyShareVerifyingKey(file.keyShare), vk, "the share is a share of the registered key");

  await page.screenshot({ path: join(shots, "private-1280x800.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("Client-dealt registration: the page deals the key, every server gets its share", async () => {
  const { page, errors } = await open();
  await register(page, { mode: "clientDealt" });
  assert.equal(await page.isVisible("#error"), false, await page.textContent("#error"));
  const vk = (await page.textContent("#vk")).trim();
  assert.equal((await page.textContent("#mode")).trim(), "clientDealt");
  const onChain = await registeredOnChain(vk);
  assert.ok(onChain, `Registered[${vk}] is not on chain`);
  assert.equal(await dealtCommitmentsOnChain(vk), 2, "DealtKeys[vk] holds one commitment per subgroup");

  const types = (await steps(page)).map((x) => x.type);
  assert.equal(types.indexOf("dealt") < types.indexOf("submitted"), true, `${types}`);
  assert.equal(types.filter((t) => t === "shareDelivered").length, 4, `${types}`);
  assert.equal(types.filter((t) => t === "confirmation").length, 2, `${types}`);
  assert.equal(await page.locator("#dealt-shares tr").count(), 4);

  // The page generated the key: the download holds it, and its public key is the registered one.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#share-download")]);
  const file = JSON.parse(await readFile(await download.path(), "utf8"));
  assert.equal(file.verifyingKey, vk);
  const pub = createPublicKeyOf(file.dealtSecretKey);
  assert.equal(pub, vk, "the downloaded key is the registered key");

  await page.screenshot({ path: join(shots, "client-dealt-1280x800.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test("An unfunded account: the error is shown with its code, nothing is registered", async () => {
  const { page, errors } = await open(PHONE);
  await register(page, { mode: "public", fund: false });
  assert.equal(await page.textContent("#error-code"), "InsufficientFunds");
  assert.match(await page.textContent("#error-message"), /no funds/);
  assert.equal(await page.isVisible("#result"), false);
  const types = (await steps(page)).map((x) => x.type);
  assert.ok(!types.includes("submitted"), `nothing may be submitted: ${types}`);
  await page.screenshot({ path: join(shots, "error-phone.png"), fullPage: true });
  assert.ok(await noHorizontalScroll(page), "the page scrolls sideways at phone width");
  assert.deepEqual(errors, []);
  await page.close();
});
