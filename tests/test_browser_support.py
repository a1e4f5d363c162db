"""The browser tests' plumbing, without a browser: when they skip or fail, and which URLs they let through."""
import pytest

import browser_support
from browser_support import allowed_url, browser_required, browser_skip_reason, chromium_path


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8888/lab?token=abc",
    "https://127.0.0.1/x.js",
    "http://localhost:9999/api/kernels",
    "ws://127.0.0.1:8888/api/kernels/1/channels",
    "file:///home/presenter/build/slides/deck.html",
    "data:image/png;base64,iVBORw0KGgo=",
    "blob:http://127.0.0.1:8888/0a1b2c",
    "about:blank",
])
def test_loopback_and_local_urls_are_allowed(url):
    assert allowed_url(url)


@pytest.mark.parametrize("url", [
    "https://cdn.jsdelivr.net/npm/reveal.js@4/dist/reveal.js",
    "https://unpkg.com/@jupyter-widgets/html-manager@^1.0.1/dist/embed-amd.js",
    "http://127.0.0.2:8888/",  # another loopback address is still not the one the tests serve on
    "http://127.0.0.1.example.com/",  # a look-alike host name
    "http://user@example.com@127.0.0.1/",  # credentials in the authority
    "ws://example.org/socket",
    "wss://localhost.evil.net/",
    "ftp://127.0.0.1/file",
    "chrome://version",
    "about:config",
    "http://127.0.0.1:99999/",  # not a port: urlsplit refuses it
])
def test_other_urls_are_refused(url):
    assert not allowed_url(url)


def test_no_playwright_is_a_reason():
    assert "Playwright" in browser_skip_reason(chromium="/bin/sh", playwright=False)


def test_no_chromium_is_a_reason():
    assert "no Chromium found" in browser_skip_reason(chromium=None, playwright=True)


def test_missing_or_non_executable_chromium_is_a_reason(tmp_path):
    assert "/nonexistent" in browser_skip_reason(chromium="/nonexistent", playwright=True)
    plain = tmp_path / "chromium"
    plain.write_text("")
    plain.chmod(0o644)
    assert "not an executable file" in browser_skip_reason(chromium=str(plain), playwright=True)


def test_an_executable_chromium_with_playwright_is_no_reason(tmp_path):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert browser_skip_reason(chromium=str(fake), playwright=True) is None


def test_chromium_env_overrides_the_default(monkeypatch):
    monkeypatch.setenv("CHROMIUM", "/opt/other/chromium")
    assert chromium_path() == "/opt/other/chromium"
    monkeypatch.delenv("CHROMIUM")
    assert chromium_path() in (browser_support.DEFAULT_CHROMIUM, browser_support.shutil.which("chromium"))


def test_require_browser_flag():
    assert browser_required({"REQUIRE_BROWSER": "1"})
    assert not browser_required({"REQUIRE_BROWSER": "0"}) and not browser_required({})


def test_missing_browser_skips_without_the_flag(monkeypatch):
    monkeypatch.setenv("CHROMIUM", "/nonexistent")
    monkeypatch.delenv("REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="/nonexistent"):
        browser_support.require_browser()


def test_missing_browser_fails_under_require_browser(monkeypatch):
    monkeypatch.setenv("CHROMIUM", "/nonexistent")
    monkeypatch.setenv("REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="REQUIRE_BROWSER=1"):
        browser_support.require_browser()


def test_launch_uses_the_system_chromium_headless(monkeypatch):
    """`launch` never lets Playwright pick its own (downloaded) browser."""
    calls = {}

    class Chromium:
        def launch(self, **kwargs):
            calls.update(kwargs)
            return "browser"

    class Playwright:
        chromium = Chromium()

    monkeypatch.setenv("CHROMIUM", "/opt/chromium")
    assert browser_support.launch(Playwright()) == "browser"
    assert calls == {"executable_path": "/opt/chromium", "headless": True, "args": browser_support.LAUNCH_ARGS}
    assert "--no-sandbox" in calls["args"] and "--disable-background-networking" in calls["args"]

