import type { Page } from "playwright-core";

// Functions passed to page.evaluate run in the browser; the tests are type-checked without the DOM.
interface DomElement {
  textContent: string | null;
  parentElement: DomElement | null;
}
declare const getComputedStyle: (el: DomElement) => { color: string; backgroundColor: string };
declare const document: { querySelectorAll(selector: string): Iterable<DomElement> };

/**
 * The lowest WCAG contrast ratio of any text on the page against what is behind it (the first
 * ancestor with a background), and that text: AA asks for 4.5 at least.
 */
export function lowestContrast(page: Page): Promise<{ ratio: number; text: string }> {
  return page.evaluate(() => {
    const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
    const luminance = ([r, g, b]: number[]) => {
      const channel = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * channel(r!) + 0.7152 * channel(g!) + 0.0722 * channel(b!);
    };
    const background = (el: DomElement | null): number[] => {
      for (let at = el; at; at = at.parentElement) {
        const c = rgb(getComputedStyle(at).backgroundColor);
        if (c.length < 4 || c[3]! > 0) return c.slice(0, 3);
      }
      return [255, 255, 255];
    };
    let lowest = { ratio: 21, text: "" };
    const selector = "h1, h2, h3, a, th, td, dt, dd, button, label, span, strong, p, li, pre, mark, div";
    for (const el of document.querySelectorAll(selector)) {
      if (!el.textContent?.trim()) continue;
      const [fg, bg] = [luminance(rgb(getComputedStyle(el).color)), luminance(background(el))];
      const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
      if (ratio < lowest.ratio) lowest = { ratio, text: el.textContent.trim().slice(0, 40) };
    }
    return lowest;
  });
}
