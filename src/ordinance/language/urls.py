"""Which addresses may become links: a law's ``source`` is shown as a link only when it
is a plain web address (the checker warns about any other; the docs show it as text)."""

from __future__ import annotations

import re
import urllib.parse

_WEB_URL = re.compile(r"https?://[^\s<>\"'`\\\x00-\x1f\x7f]+", re.IGNORECASE)


def web_url(url: str) -> str | None:
    """``url`` if it may be a link: ``http`` or ``https``, a host, and no character that
    could end a link early (space, ``<``, ``>``, quotes, controls); else ``None``.

    >>> web_url("https://leginfo.legislature.ca.gov/faces/codes.xhtml")
    'https://leginfo.legislature.ca.gov/faces/codes.xhtml'
    >>> web_url("javascript:alert(1)") is None
    True
    """
    if not _WEB_URL.fullmatch(url):
        return None
    return url if urllib.parse.urlsplit(url).hostname else None
