"""`cagnotte serve` over real HTTP: pages, 404, rebuild on change, live reload."""

from __future__ import annotations

import threading
import time
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


def test_api_is_an_honest_json_error_until_the_functions_exist(server):
    status, headers, body = get(server + "/api/campaigns/premier-album/stats")
    assert status == 503
    assert headers["Content-Type"] == "application/json"
    assert '"code": "not_available"' in body


def test_saving_a_file_rebuilds_the_site(server, site):
    index = site / "content/campaigns/premier-album/index.md"
    index.write_text(index.read_text().replace("Premier album de Lina", "Premier disque de Lina"))
    for _ in range(200):
        status, _, body = get(server + "/campaigns/premier-album/")
        if "Premier disque de Lina" in body:
            break
        time.sleep(0.1)
    assert "Premier disque de Lina" in body


def test_open_pages_are_told_to_reload_after_a_rebuild(server, site):
    import http.client

    host, port = server.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.request("GET", "/_cagnotte/livereload")
    response = connection.getresponse()
    assert response.getheader("Content-Type") == "text/event-stream"
    index = site / "content/campaigns/tokyo-zine/index.md"
    index.write_text(index.read_text() + "\nOne more line.\n")
    assert response.readline() == b"data: reload\n"
    connection.close()
