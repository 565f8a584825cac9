#!/usr/bin/env python3
"""A urlOpener for gitsign's login tests that plays a hostile local process before (or instead
of) the person at the browser.

    forged_callback.py wrong-state URL   sends gitsign's loopback callback an error with a wrong
                                         state and one with none, records the answer, then signs in with browser.py
    forged_callback.py right-state URL   sends the callback an error carrying the right state

The error description carries an ANSI escape (ESC [31m). The HTTP status gitsign answered the
forged callback with is written to the file FORGED_LOG names."""
import os, sys, urllib.error, urllib.parse, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import browser  # noqa: E402


def callback(url, state):
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    redirect = query["redirect_uri"][0]
    fields = {"error": "access_denied", "error_description": "\x1b[31mforged denial\x1b[0m"}
    if state is not None:
        fields["state"] = state
    params = urllib.parse.urlencode(fields)
    try:
        with urllib.request.urlopen(f"{redirect}?{params}") as resp:
            status = resp.status
    except urllib.error.HTTPError as e:
        status = e.code
    with open(os.environ["FORGED_LOG"], "a") as log:
        log.write(f"{status}\n")
    return query["state"][0]


if __name__ == "__main__":
    mode, url = sys.argv[1], sys.argv[2]
    real_state = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)["state"][0]
    if mode == "wrong-state":
        callback(url, "not-" + real_state)
        callback(url, None)
        browser.main(url)
    elif mode == "right-state":
        callback(url, real_state)
    else:
        raise SystemExit(f"unknown mode {mode}")
