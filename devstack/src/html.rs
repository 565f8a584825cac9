//! The HTML the devstack's pages share: escaping, and the frame every page is drawn in (title,
//! style, the "nothing here is trusted" footer). The pages themselves are in [`crate::web`] and
//! [`crate::oidc`].

use axum::response::Html;

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
         max-width:64em;margin:2em auto;padding:0 1em}}code,pre{{background:#f3f3f3;padding:.1em .3em}}\
         pre,code{{overflow-wrap:anywhere;white-space:pre-wrap}}.err{{color:#a00}}.ok{{color:#070}}\
         input,button,textarea{{font:inherit}}td,th{{padding:.2em .8em .2em 0;text-align:left;vertical-align:top}}\
         form.search{{margin:.6em 0}}form.search label{{display:inline-block;min-width:8em;font-weight:bold}}\
         table.entries td{{border-top:1px solid #ddd}}</style></head><body>\
         <h1>{t}</h1>{body}<hr><p><small>gitsign-devstack: a local Sigstore for trying and testing keyless \
         signing. Nothing here is trusted by anyone else.</small></p></body></html>",
        t = html_escape(title)
    ))
}
