import type { Page } from "playwright-core";
import { scaled } from "./time-scale.js";

// Functions passed to page.evaluate run in the browser; the tests are type-checked without the DOM.
declare const document: { querySelector(selector: string): { textContent: string | null } | null };

export interface TextCheck {
  equals?: string;
  includes?: string;
  matches?: string;
}

/** Text of the first element matching `selector`, once it equals, includes or matches what is asked (no fixed sleeps). */
export async function waitForText(page: Page, selector: string, check: TextCheck, timeout = 60_000): Promise<string> {
  const handle = await page.waitForFunction(
    ({ selector, check }) => {
      const text = document.querySelector(selector)?.textContent;
      if (text == null) return false;
      if (check.equals !== undefined && text !== check.equals) return false;
      if (check.includes !== undefined && !text.includes(check.includes)) return false;
      if (check.matches !== undefined && !new RegExp(check.matches).test(text)) return false;
      return text;
    },
    { selector, check },
    { timeout: scaled(timeout) },
  );
  return String(await handle.jsonValue());
}
