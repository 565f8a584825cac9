//! The devstack's web page (what is running, where, and how to use it) and the HTML helpers the
//! issuer's pages share.

use crate::server::Services;
use axum::extract::State;
use axum::response::Html;
use std::sync::Arc;

/// Escapes text for HTML.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page with the devstack's frame. `body` is HTML.
pub fn html_page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>{t} · gitsign-devstack</title>\
         <meta name=viewport content=\"width=device-width\"><style>body{{font:16px/1.5 system-ui,sans-serif;\
         max-width:46em;margin:2em auto;padding:0 1em}}code,pre{{background:#f3f3f3;padding:.1em .3em}}\
         .err{{color:#a00}}input,button{{font:inherit}}td{{padding:.2em .8em .2em 0}}</style></head><body>\
         <h1>{t}</h1>{body}<hr><p><small>gitsign-devstack: a local Sigstore for trying and testing keyless \
         signing. Nothing here is trusted by anyone else.</small></p></body></html>",
        t = html_escape(title)
    ))
}

/// `GET /`.
pub async fn index(State(s): State<Arc<Services>>) -> Html<String> {
    let size = {
        let store = s.lock_store();
        store.tree_size().ok()
    };
    let u = &s.urls;
    let row =
        |k: &str, v: &str| format!("<tr><td>{}</td><td><code>{}</code></td></tr>", html_escape(k), html_escape(v));
    let body = format!(
        "<table>{}{}{}{}</table><p>Trusted root: <a href=\"/trusted_root.json\">trusted_root.json</a>. \
         Try the <a href=\"{}/auth?client_id=sigstore&amp;redirect_uri=urn:ietf:wg:oauth:2.0:oob&amp;response_type=code&amp;scope=openid+email&amp;code_challenge_method=S256&amp;code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM\">sign-in page</a>.</p>",
        row("Fulcio", &u.fulcio),
        row("Rekor", &u.rekor),
        row("OIDC issuer", &u.issuer),
        row("Log size", &size.map_or_else(|| "unavailable".into(), |n| n.to_string())),
        html_escape(&u.issuer),
    );
    html_page("gitsign-devstack", &body)
}
