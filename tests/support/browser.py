#!/usr/bin/env python3
"""Plays the person at the browser for gitsign's login tests: used as gitsign's urlOpener.

Authorization-code URL: opens the devstack's login page, types the email, submits, and follows
the redirect to gitsign's loopback callback. Device URL (.../device?user_code=...): submits the
code with the email. The email comes from BROWSER_EMAIL."""
import os, re, sys, urllib.parse, urllib.request

class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

def main(url):
    email = os.environ.get("BROWSER_EMAIL", "browser@example.com")
    opener = urllib.request.build_opener(NoRedirect)
    parsed = urllib.parse.urlparse(url)
    if parsed.path.endswith("/device"):
        code = urllib.parse.parse_qs(parsed.query)["user_code"][0]
        form = urllib.parse.urlencode({"user_code": code, "email": email}).encode()
        opener.open(urllib.request.Request(url.split("?")[0], data=form)).read()
        return
    page = opener.open(url).read().decode()
    request = re.search(r'name=request value="([^"]+)"', page).group(1)
    action = re.search(r'action="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"request": request, "email": email}).encode()
    try:
        opener.open(urllib.request.Request(action, data=form))
        raise SystemExit("the login did not redirect")
    except urllib.error.HTTPError as e:
        if e.code not in (302, 303):
            raise
        callback = e.headers["Location"]
    urllib.request.urlopen(callback).read()

if __name__ == "__main__":
    main(sys.argv[1])
