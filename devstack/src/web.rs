//! The devstack's web page (what is running, where, and how to use it) and the trusted root it
//! serves to clients (`GET /trusted_root.json`).

use crate::html::{html_escape, html_page};
use crate::services::Services;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use std::sync::Arc;

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

/// `GET /trusted_root.json`: the trusted root as written to the state directory.
pub async fn trusted_root(State(s): State<Arc<Services>>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], s.trusted_root_json.clone()).into_response()
}
