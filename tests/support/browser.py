#!/usr/bin/env python3
"""Plays the person at the browser in gitsign's login tests; gitsign runs it as its urlOpener.

It opens the URL gitsign hands it (an authorization URL, or a device-flow verification URL),
keeps cookies, follows redirects, and fills and submits each form it meets — the email (or login)
field with BROWSER_EMAIL, any password field with a dummy, hidden fields and pre-filled values
as they are — until a redirect leaves the provider for gitsign's loopback callback, which it
then requests, or a page has no form left (the end of a device login). It never presses a named
submit button, so it never picks "refuse" or "abort". It works with the devstack's issuer and
with oidc-provider's development pages."""
import http.cookiejar, os, sys, urllib.error, urllib.parse, urllib.request
from html.parser import HTMLParser

EMAIL = os.environ.get("BROWSER_EMAIL", "browser@example.com")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class FirstForm(HTMLParser):
    def __init__(self):
        super().__init__()
        self.form, self.fields, self.done = None, [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.done:
            return
        if tag == "form" and self.form is None:
            self.form = a
        elif tag == "input" and self.form is not None and a.get("name"):
            self.fields.append(a)

    def handle_endtag(self, tag):
        if tag == "form" and self.form is not None:
            self.done = True


def value_for(field):
    name, kind = field["name"].lower(), field.get("type", "text").lower()
    if kind in ("submit", "button", "image", "reset"):
        return None
    if kind == "password":
        return "any-password"
    if name in ("email", "login", "username"):
        return EMAIL
    return field.get("value", "")


def main(url):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPCookieProcessor(jar))
    provider = urllib.parse.urlparse(url).netloc
    data = None
    for _ in range(30):
        if os.environ.get("BROWSER_DEBUG"):
            print(f"browser: {'POST' if data else 'GET'} {url}", file=sys.stderr)
        try:
            resp = opener.open(urllib.request.Request(url, data=data))
            status, headers, body = resp.status, resp.headers, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            status, headers, body = e.code, e.headers, e.read().decode("utf-8", "replace")
        data = None
        if status in (301, 302, 303, 307, 308):
            url = urllib.parse.urljoin(url, headers["Location"])
            if urllib.parse.urlparse(url).netloc != provider:
                urllib.request.urlopen(url).read()  # gitsign's loopback callback
                return
            continue
        if status >= 400:
            raise SystemExit(f"browser: {url} answered {status}: {body[:300]}")
        form = FirstForm()
        form.feed(body)
        if form.form is None:
            return  # a page with nothing left to do
        fields = [(f["name"], v) for f in form.fields if (v := value_for(f)) is not None]
        url = urllib.parse.urljoin(url, form.form.get("action") or url)
        data = urllib.parse.urlencode(fields).encode()
    raise SystemExit("browser: the login did not finish in 30 steps")


if __name__ == "__main__":
    main(sys.argv[1])
