"""Render the app's PNG icons from its two SVG drawings, with Debian's Chromium.

    .venv/bin/python scripts/make_icons.py

The PNGs are committed (static/img/app-icon-*.png); run this again after changing a drawing.
The web app manifest lists them (portal/offline.py); phones that cannot use an SVG icon, and
iOS's home screen (apple-touch-icon), need PNGs.
"""

import os
from pathlib import Path

from playwright.sync_api import sync_playwright

IMG = Path(__file__).resolve().parent.parent / "static" / "img"
CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
# (drawing, size in pixels, file written)
ICONS = [
    ("app-icon.svg", 192, "app-icon-192.png"),
    ("app-icon.svg", 512, "app-icon-512.png"),
    ("app-icon-maskable.svg", 192, "app-icon-maskable-192.png"),
    ("app-icon-maskable.svg", 512, "app-icon-maskable-512.png"),
    # iOS rounds the corners itself, so its icon is the full-bleed drawing.
    ("app-icon-maskable.svg", 180, "apple-touch-icon.png"),
]


def main() -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for drawing, size, name in ICONS:
            page = browser.new_page(viewport={"width": size, "height": size})
            svg = (IMG / drawing).read_text()
            page.set_content(
                "<style>html,body{margin:0;background:transparent}svg{display:block;"
                f"width:{size}px;height:{size}px}}</style>{svg}"
            )
            page.locator("svg").screenshot(path=IMG / name, omit_background=True)
            page.close()
            print(f"{name}: {size}x{size}, {(IMG / name).stat().st_size} bytes")  # noqa: T201
        browser.close()


if __name__ == "__main__":
    main()
