"""Driving Debian's Chromium with Playwright, and what the dashboard's pages are checked for.

Playwright's own browser download is not used: the tests launch ``/usr/bin/chromium``
(installed by ``scripts/bootstrap``) headless. The page checks run in the page itself:
every form control has an accessible name, text meets WCAG AA contrast against what is
behind it, and nothing is wider than the screen.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "dashboard"
VIEWPORTS = ((390, 844), (1440, 900))
PAGE_WEIGHT_LIMIT = 150 * 1024


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[dev]')"
    if shutil.which(CHROMIUM) is None:
        return f"{CHROMIUM} is missing (scripts/bootstrap installs Debian's chromium)"
    return None


@dataclass
class Console:
    """Errors a page logged, and the Content-Security-Policy violations it reported."""

    errors: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))


# Every visible form control's accessible name (label, aria-label or aria-labelledby).
UNLABELLED_JS = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.type !== 'hidden' && el.getClientRects().length > 0
          && !el.closest('[hidden]'))
  .filter(el => {
    if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
    if (el.labels && el.labels.length) return false;
    if (el.tagName === 'BUTTON' && el.textContent.trim()) return false;
    return true;
  })
  .map(el => el.outerHTML.slice(0, 120))"""

# Text whose contrast with the first opaque background behind it is under WCAG AA
# (4.5:1, or 3:1 for large text). Content hidden from assistive technology is skipped.
LOW_CONTRAST_JS = """() => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = c => {
    const [r, g, b] = c.slice(0, 3).map(v => v / 255)
      .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const behind = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c;
    }
    return [255, 255, 255];
  };
  const bad = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!node.textContent.trim() || !el || el.closest('[aria-hidden="true"], .skip, option'))
      continue;
    if (!el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.opacity === '0') continue;
    const fg = rgb(style.color), bg = behind(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(style.fontSize), weight = parseInt(style.fontWeight, 10);
    const large = size >= 24 || (size >= 18.66 && weight >= 700);
    if (ratio < (large ? 3 : 4.5))
      bad.push(`${ratio.toFixed(2)} "${node.textContent.trim().slice(0, 40)}"`);
  }
  return bad;
}"""

OVERFLOW_JS = "() => document.documentElement.scrollWidth - window.innerWidth"
