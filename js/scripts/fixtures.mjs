// Packaging tests: `npm pack` the package, install the tarball into each fixture project in
// js/fixtures (copied to a temporary folder) and run it against the running devnet:
//   node-esm     plain Node 20 ESM script registers; types.ts type-checks (NodeNext and Bundler)
//   vite-app     `vite build`, served, opened in headless Chromium (playwright-core), registers
//   webpack-app  `webpack` production bundle, served, opened in headless Chromium, registers
//   wallet       a wallet's injected signer built from the polkadot-js packages: approves and
//                registers, rejects, signs other fields; in Node and (Vite) in headless Chromium;
//                the polkadot-js Signer type is accepted by the package's Signer type
// Prints one line per fixture and `fixtures: N passed, M failed`; exits non-zero on a failure.
// Needs `bash js/build` first. Usage: node js/scripts/fixtures.mjs [name ...]
import { execFileSync } from "node:child_process";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../../scripts/headless-chromium.mjs";
import { serveDir } from "../../scripts/static-server.mjs";

const js = fileURLToPath(new URL("..", import.meta.url));
const repo = join(js, "..");
const fixtures = join(js, "fixtures");
const bin = join(repo, "node_modules", ".bin");
const wanted = process.argv.slice(2);
const work = await mkdtemp(join(tmpdir(), "entropy-register-fixtures-"));

const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", timeout: 600_000 });

function install(dir, tarball) {
  // The fixture's own devDependencies and the packed package, as a dapp would install it.
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], dir);
  run("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--no-save", tarball], dir);
}

// What each browser page must end with: the page writes "failed" or its last line.
const REGISTERED = { done: /verified:|failed/, ok: /verified: 0x0[23][0-9a-f]{64}/ };
const WALLET_LINES = [
  /wallet approves: verified: 0x0[23][0-9a-f]{64}/,
  /wallet rejects: SignerFailed, nothing submitted/,
  /wallet signs other fields: SignerFailed, nothing submitted/,
];

async function inChromium(root, expect = REGISTERED) {
  const { server, url } = await serveDir(root);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(url);
    await page
      .waitForFunction((done) => new RegExp(done).test(document.getElementById("out").textContent), expect.done.source, {
        timeout: 180_000,
      })
      .catch(() => {});
    const text = await page.textContent("#out");
    if (!expect.ok.test(text)) {
      throw new Error(`the page did not register:\n${text}\n${errors.join("\n")}`);
    }
    return text.trim().split("\n").pop();
  } finally {
    await browser.close();
    server.close();
  }
}

const checks = {
  "node-esm": async (dir) => {
    run(join(bin, "tsc"), ["-p", "tsconfig.json"], dir);
    run(join(bin, "tsc"), ["-p", "tsconfig.bundler.json"], dir);
    const out = run("node", ["main.mjs"], dir);
    if (!/typed error: NoProgramSet/.test(out) || !/verified: 0x0[23][0-9a-f]{64}/.test(out)) {
      throw new Error(`unexpected output:\n${out}`);
    }
    return "types check (NodeNext, Bundler); " + out.trim().split("\n").pop();
  },
  wallet: async (dir) => {
    run(join(bin, "tsc"), ["-p", "tsconfig.json"], dir);
    const out = run("node", ["main.mjs"], dir);
    const missing = WALLET_LINES.filter((l) => !l.test(out));
    if (missing.length || !/^done$/m.test(out)) throw new Error(`unexpected output:\n${out}`);
    run("npx", ["vite", "build", "--logLevel", "error"], dir);
    const all = { test: (text) => /^done$/m.test(text) && WALLET_LINES.every((l) => l.test(text)) };
    await inChromium(join(dir, "dist"), { done: /^done$|failed/m, ok: all });
    return `types check; ${WALLET_LINES.length} wallet checks in Node and in Chromium`;
  },
  "vite-app": async (dir) => {
    await cp(join(fixtures, "shared", "register-page.js"), join(dir, "src", "register-page.js"));
    run("npx", ["vite", "build", "--logLevel", "error"], dir);
    return inChromium(join(dir, "dist"));
  },
  "webpack-app": async (dir) => {
    await cp(join(fixtures, "shared", "register-page.js"), join(dir, "src", "register-page.js"));
    run("npx", ["webpack", "--no-stats"], dir);
    await cp(join(dir, "public", "index.html"), join(dir, "dist", "index.html"));
    return inChromium(join(dir, "dist"));
  },
};

let passed = 0;
let failed = 0;
try {
  const packed = run("npm", ["pack", "--silent", "--pack-destination", work], js).trim().split("\n").pop();
  const tarball = join(work, packed);
  for (const [name, check] of Object.entries(checks)) {
    if (wanted.length && !wanted.includes(name)) continue;
    const dir = join(work, name);
    const started = Date.now();
    try {
      await cp(join(fixtures, name), dir, { recursive: true });
      install(dir, tarball);
      const what = await check(dir);
      passed++;
      console.log(`ok ${name} (${((Date.now() - started) / 1000).toFixed(0)} s): ${what}`);
    } catch (e) {
      failed++;
      const detail = [e.message, e.stdout, e.stderr].filter(Boolean).join("\n");
      console.log(`FAILED ${name}: ${detail}`);
    }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
console.log(`fixtures: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
