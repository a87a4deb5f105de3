// Debian's firefox-esr driven by puppeteer-core over WebDriver BiDi (never a downloaded
// browser). Facts from ../shared/TOOLCHAIN.md: only the last-opened page of a Firefox is
// visible; the others are hidden, and Firefox clamps a hidden page's timers to >= 1 s.
import puppeteer from "puppeteer-core";

export const firefoxPath = process.env.AUTHWASM_FIREFOX ?? "/usr/bin/firefox-esr";

/**
 * Prefs that lift the hidden-page timer clamp, for suites whose tabs must act together at
 * one instant. Without them (the default) hidden pages are throttled as users have them.
 */
export const unthrottledTimerPrefs = {
  "dom.min_background_timeout_value": 0,
  "dom.min_background_timeout_value_without_budget_throttling": 0,
  "dom.timeout.enable_budget_timer_throttling": false,
};

/** A Firefox with a fresh profile (puppeteer creates and removes it). */
export function launchFirefox({ throttleHiddenPages = true } = {}) {
  return puppeteer.launch({
    browser: "firefox",
    executablePath: firefoxPath,
    headless: true,
    extraPrefsFirefox: throttleHiddenPages ? {} : unthrottledTimerPrefs,
  });
}
