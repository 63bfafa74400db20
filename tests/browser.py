"""A page in headless Chromium (Playwright) on a live server, recording every request it
makes and every script error; the browser tests' one way to open a page."""

from __future__ import annotations

from urllib.parse import urlencode

VIEWPORT = {"width": 1400, "height": 900}


class Visit:
    """One browser page on the live server that records every request and script error."""

    def __init__(self, chromium, base: str, locale: str = "zh-CN", viewport: dict | None = None,
                 enforce_csp: bool = False, **context):
        self.base = base
        # Playwright's waiting helpers evaluate strings, which the pages' CSP forbids;
        # test_pages_run_under_their_content_security_policy checks the policy itself.
        self.context = chromium.new_context(viewport=viewport or VIEWPORT, locale=locale,
                                            bypass_csp=not enforce_csp, **context)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)

    def open(self, path: str) -> None:
        self.page.goto(self.base + path)
        if path.startswith("/?") or path == "/":
            self.page.wait_for_function("window.corridorApp !== undefined")
            self.page.evaluate("window.corridorApp.ready")

    def js(self, expr: str, arg=None):
        return self.page.evaluate(expr, arg)

    def api(self, path: str, **params) -> dict:
        resp = self.context.request.get(f"{self.base}{path}?{urlencode(params)}",
                                        headers={"Accept": "application/geo+json"})
        assert resp.ok, resp.text()
        return resp.json()

    def close(self) -> None:
        foreign = [u for u in self.requests
                   if not u.startswith((self.base + "/", "data:"))]
        self.context.close()
        assert not foreign, f"requests left the app's host: {foreign}"
        assert not self.errors, f"script errors: {self.errors}"
