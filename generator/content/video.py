"""A campaign's ``video``: which hosts are known, and the privacy-friendly player of each.

The page shows a click-to-load facade (no request to the host before the click);
the player address is what the facade's script puts in the ``<iframe>`` then:
YouTube's ``youtube-nocookie.com``, Vimeo with ``dnt=1``, a PeerTube instance's
``/videos/embed/``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

_YOUTUBE_HOSTS = {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com", "youtu.be",
                  "www.youtube-nocookie.com", "youtube-nocookie.com"}
_VIMEO_HOSTS = {"vimeo.com", "www.vimeo.com", "player.vimeo.com"}
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")
# PeerTube: /w/<short id>, /videos/watch/<uuid or short id>, /videos/embed/<id>
_PEERTUBE = re.compile(r"^/(?:w|videos/watch|videos/embed)/([A-Za-z0-9-]{6,40})/?$")

HINT = "YouTube, Vimeo or PeerTube"


def player_url(url: str) -> str | None:
    """The player to load in an ``<iframe>`` for a video page address, or None for an unknown host."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    path = parts.path
    if host in _YOUTUBE_HOSTS:
        video = None
        if host == "youtu.be":
            video = path.strip("/")
        elif path == "/watch":
            video = (parse_qs(parts.query).get("v") or [""])[0]
        else:
            match = re.match(r"^/(?:embed|shorts|live)/([^/]+)/?$", path)
            video = match.group(1) if match else None
        if video and _YOUTUBE_ID.match(video):
            return f"https://www.youtube-nocookie.com/embed/{video}?autoplay=1"
        return None
    if host in _VIMEO_HOSTS:
        match = re.match(r"^/(?:video/)?(\d+)/?$", path)
        return f"https://player.vimeo.com/video/{match.group(1)}?dnt=1&autoplay=1" if match else None
    match = _PEERTUBE.match(path)
    if match and parts.scheme == "https" and host:
        netloc = host + (f":{parts.port}" if parts.port else "")
        return f"https://{netloc}/videos/embed/{quote(match.group(1))}?autoplay=1"
    return None
