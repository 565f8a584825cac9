//! The devstack's front page (the log explorer's, see [`crate::explorer`]: what is running, where,
//! and what the log holds) and the trusted root it serves to clients (`GET /trusted_root.json`).

use crate::explorer::SearchQuery;
use crate::services::Services;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// `GET /`: the log explorer's front page, or a search (see [`crate::explorer`]).
pub async fn index(
    State(s): State<Arc<Services>>,
    q: Result<Query<SearchQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    // A query that does not parse is shown as the front page.
    let q = q.map(|Query(q)| q).unwrap_or_default();
    match crate::explorer::front_handler(s, q).await {
        Ok(page) => page.into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /trusted_root.json`: the trusted root as written to the state directory.
pub async fn trusted_root(State(s): State<Arc<Services>>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], s.trusted_root_json.clone()).into_response()
}
