"""What every browser test does: open a page context that records console errors and requests leaving the server,
log in, check nothing scrolls sideways, and save a full-page screenshot for a person to look at."""

from __future__ import annotations

from urllib.parse import urlparse

from tests.browser.conftest import SHOTS


def open_page(browser, live_server, size=(1440, 900)):
    """(context, page, errors, foreign requests). Reduced motion: Bootstrap shows a tab pane at once, so a
    screenshot never catches it half faded in."""
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, locale="zh-CN", reduced_motion="reduce"
    )
    page = context.new_page()
    errors: list[str] = []
    foreign: list[str] = []
    host = urlparse(live_server.url).netloc
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: foreign.append(req.url) if urlparse(req.url).netloc not in (host, "") else None)
    return context, page, errors, foreign


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def login(page, live_server, username: str, password: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: page is {width}px wide in a {viewport}px window"
