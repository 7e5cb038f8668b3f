"""`cagnotte serve` over real HTTP: pages, 404, rebuild on change, live reload."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

import pytest

from generator.serve import serve


@pytest.fixture
def server(site, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795694400")
    ready, stop = threading.Event(), threading.Event()
    thread = threading.Thread(target=serve, args=(site, "127.0.0.1", 0),
                              kwargs={"ready": ready, "stop": stop, "interval": 0.1}, daemon=True)
    thread.start()
    assert ready.wait(60)
    yield f"http://127.0.0.1:{ready.port}"
    stop.set()
    thread.join(10)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def test_serves_pages_with_the_live_reload_script(server):
    status, headers, body = get(server + "/campaigns/premier-album/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Premier album de Lina" in body
    assert body.count('<script src="/_cagnotte/livereload.js"></script></body>') == 1


def test_missing_page_is_the_404_page(server):
    status, _, body = get(server + "/nope/")
    assert status == 404
    assert "<html" in body


def test_static_assets_and_feeds(server):
    status, headers, _ = get(server + "/feed.xml")
    assert status == 200


def test_the_pledge_api_answers_on_the_same_origin(server):
    status, headers, body = get(server + "/api/campaigns/premier-album/stats")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert '"campaign":"premier-album"' in body
    status, headers, body = get(server + "/api/nothing")
    assert status == 404
    assert '"code":"not_found"' in body


def test_text_is_gzipped_for_browsers_that_ask(server):
    import gzip

    request = urllib.request.Request(server + "/campaigns/premier-album/", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        page = gzip.decompress(response.read()).decode()
    assert "Premier album de Lina" in page and "livereload.js" in page
    css = next(part.split('"')[0] for part in page.split('href="') if part.split('"')[0].endswith(".css"))
    request = urllib.request.Request(server + css, headers={"Accept-Encoding": "gzip, br"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        assert b"{" in gzip.decompress(response.read())
    with urllib.request.urlopen(server + css, timeout=10) as response:  # no Accept-Encoding: plain
        assert response.headers["Content-Encoding"] is None
