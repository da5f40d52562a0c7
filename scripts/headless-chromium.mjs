// Debian's Chromium, headless, driven by playwright-core (no browser download): the one launch
// used by the browser example, the demo tests and the packaging fixtures. CHROMIUM overrides
// the binary.
import { chromium } from "playwright-core";

export function launchChromium() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}
