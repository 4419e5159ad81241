"""The Mission page's link: which mode, room, questions and option order a URL asks for.

`MissionSettings` declares the page's URL parameters like every other page's
Settings, so `depthkit.ui` reads them (leniently, with a one-line notice for
what it changed) and writes them (only values that differ from the defaults)
with the same functions it uses for the challenge pages:

    ?mode=learn|present|join   ?room=K7QX2M   ?problem=vanishing   ?seed=123   ?me=<id>

`me` is an attendee's opaque random id: the page adds it to the attendee's
own tab once they joined, so a reload is the same attendee; the join link the
presenter shares (`join_link`) never carries it, so everyone who opens that
link is a new attendee. A room code is accepted as `poll.normalize_code` accepts it (any case, with
spaces or dashes) and kept in its canonical form. `seed` -1, the default,
means "no seed in the link": each attempt draws a new option order.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import segno

from depthkit.core.spec import Settings, param
from depthkit.workshop import poll, quiz

MODES = ("learn", "present", "join")
PROBLEM_CHOICES = ("all", *quiz.PROBLEMS)
NO_SEED = -1
STATE = "mission."  # the prefix of the Mission page's session-state keys (its page and depthkit.ui.poll)
PAGE_PATH = "mission"  # the page's URL path under the app (st.navigation names it after the file)
PUBLIC_URL_ENV = "DEPTHKIT_PUBLIC_URL"  # e.g. https://depthkit.streamlit.app: the address phones use
LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]")


@dataclass(frozen=True)
class MissionSettings(Settings):
    mode: str = param("learn", choices=MODES, label="Mode")
    # a room the link opens (attendee) or prefills (presenter); "" = none
    room: str = param("", parse=poll.normalize_code, label="Room code")
    problem: str = param("all", choices=PROBLEM_CHOICES, label="Questions about")
    seed: int = param(NO_SEED, lo=NO_SEED, hi=quiz.MAX_SEED, label="Option order seed",
                      help="The same seed shows the options in the same order; -1: a new order "
                           "for each attempt.")
    # an attendee's own id, added to their tab's URL after joining; never in a shared link
    me: str = param("", parse=poll.normalize_attendee, label="Attendee id")


@dataclass(frozen=True)
class JoinLink:
    """The link attendees open to join a room, and whether phones in the room can open it."""

    url: str  # absolute when the app's address is known, else relative ("mission?mode=join&room=...")
    source: str  # "public" ($DEPTHKIT_PUBLIC_URL), "browser" (the presenter's address) or "unknown"
    local: bool  # the address is this computer's own (localhost): other devices cannot open it


def app_root(url: str) -> str:
    """The app's address from a page's address: query, fragment and the page path removed."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    if path.endswith("/" + PAGE_PATH) or path == PAGE_PATH:
        path = path[: -len(PAGE_PATH)].rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}" if parts.scheme and parts.netloc else ""


def is_local(url: str) -> bool:
    """Does the address name this computer only (localhost, 127.0.0.1, ...)?"""
    host = (urlsplit(url).hostname or "").lower()
    return host in LOCAL_HOSTS or host.endswith(".localhost") or host.startswith("127.")


def join_link(code: str, browser_url: str | None, public_url: str | None = None) -> JoinLink:
    """The attendee view of room `code`: from the public address if set, else the presenter's own."""
    code = poll.normalize_code(code)
    query = urlencode({"mode": "join", "room": code})
    public = app_root(public_url or "")
    if public:
        return JoinLink(f"{public}/{PAGE_PATH}?{query}", "public", is_local(public))
    root = app_root(browser_url or "")
    if root:
        return JoinLink(f"{root}/{PAGE_PATH}?{query}", "browser", is_local(root))
    return JoinLink(f"{PAGE_PATH}?{query}", "unknown", False)


def public_url() -> str | None:
    """The app's public address from $DEPTHKIT_PUBLIC_URL (None when unset or not an http(s) URL)."""
    value = os.environ.get(PUBLIC_URL_ENV, "").strip()
    return value if urlsplit(value).scheme in ("http", "https") and urlsplit(value).netloc else None


def qr_png(text: str, px: int = 480) -> bytes:
    """A QR code of `text` as a PNG about `px` pixels wide (quiet zone included), black on white.

    Error correction level M (segno's default floor): survives a glare spot on a projector.
    """
    qr = segno.make(text, error="m", micro=False)
    width = qr.symbol_size(scale=1)[0]
    out = io.BytesIO()
    qr.save(out, kind="png", scale=max(2, px // width), border=4)
    return out.getvalue()
