// Debian's Chromium (or $OMEGA_CHROMIUM) through playwright-core, headless,
// with the flags this machine's closed network needs: the one launcher every
// browser suite and harness here uses.
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.OMEGA_CHROMIUM || "/usr/bin/chromium";

export function launchChromium({ timeout = 60_000 } = {}) {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
