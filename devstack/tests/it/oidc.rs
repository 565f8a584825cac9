//! The issuer driven by a client that is not ours — the `openidconnect` crate — through the
//! authorization-code flow with PKCE and the device flow, with an HTTP client playing the person
//! at the login pages. The tokens it gets must be accepted by Fulcio.

use crate::common::*;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreDeviceAuthorizationResponse, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, CsrfToken, DeviceAuthorizationUrl, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use std::time::Duration;

fn http(req: openidconnect::HttpRequest) -> Result<openidconnect::HttpResponse, std::io::Error> {
    let c = client();
    let resp = c
        .request(req.method().clone(), req.uri().to_string())
        .headers(req.headers().clone())
        .body(req.body().clone())
        .send()
        .map_err(std::io::Error::other)?;
    let mut out = openidconnect::http::Response::builder().status(resp.status());
    for (k, v) in resp.headers() {
        out = out.header(k, v);
    }
    out.body(resp.bytes().map_err(std::io::Error::other)?.to_vec()).map_err(std::io::Error::other)
}

/// The hidden request id of the login form.
fn form_field(page: &str, name: &str) -> String {
    let marker = format!("name={name} value=\"");
    let start = page.find(&marker).unwrap_or_else(|| panic!("no {name} field in {page}")) + marker.len();
    page[start..start + page[start..].find('"').unwrap()].to_string()
}

fn query_param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url).unwrap().query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

#[test]
fn authorization_code_with_pkce_gives_a_token_fulcio_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path());
    let issuer_url = running.urls().issuer.clone();
    let metadata = CoreProviderMetadata::discover(&IssuerUrl::new(issuer_url.clone()).unwrap(), &http).unwrap();
    let redirect = "http://127.0.0.1:33333/auth/callback";
    let oidc = CoreClient::from_provider_metadata(metadata, ClientId::new("sigstore".into()), None)
        .set_redirect_uri(RedirectUrl::new(redirect.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let original_verifier = verifier.secret().clone();
    let (auth_url, csrf, nonce) = oidc
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The person: open the page, type an email, submit.
    let c = client();
    let page = c.get(auth_url.as_str()).send().unwrap();
    assert_eq!(page.status(), 200);
    let request = form_field(&page.text().unwrap(), "request");
    let resp = c
        .post(format!("{issuer_url}/auth/login"))
        .form(&[("request", request.as_str()), ("email", "Carol@Example.com")])
        .send()
        .unwrap();
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with(redirect), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some(csrf.secret().as_str()));
    let code = query_param(&location, "code").unwrap();

    let tokens = oidc
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request(&http)
        .unwrap();
    assert!(!tokens.access_token().secret().is_empty());
    let id_token = tokens.id_token().unwrap();
    let claims = id_token.claims(&oidc.id_token_verifier(), &nonce).unwrap();
    assert_eq!(claims.email().map(|e| e.as_str()), Some("carol@example.com"));
    assert_eq!(claims.email_verified(), Some(true));

    // Fulcio accepts the token.
    let resp = request_cert(&running, &id_token.to_string(), &ec_key(), "carol@example.com");
    assert_eq!(resp.status(), 201, "{}", resp.text().unwrap());

    // A code is good once: replayed with everything the first exchange had (the original PKCE
    // verifier included), it is refused for being used, not for anything else.
    let resp = c
        .post(format!("{issuer_url}/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect),
            ("client_id", "sigstore"),
            ("code_verifier", original_verifier.as_str()),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status(), 400);
    let v: serde_json::Value = resp.json().unwrap();
    assert_eq!(v["error"], "invalid_grant", "{v}");
    assert!(v["error_description"].as_str().unwrap_or_default().contains("used"), "{v}");
}

#[test]
fn pkce_and_loopback_redirects_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path());
    let issuer = &running.urls().issuer;
    let c = client();
    let auth = |extra: &str, redirect: &str| {
        c.get(format!("{issuer}/auth?client_id=sigstore&response_type=code&scope=openid+email&state=s1&redirect_uri={redirect}{extra}")).send().unwrap()
    };
    // No PKCE: redirected back with an error and the state.
    let resp = auth("", "http://127.0.0.1:4444/cb");
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(query_param(&location, "error").as_deref(), Some("invalid_request"));
    assert_eq!(query_param(&location, "state").as_deref(), Some("s1"));
    // plain PKCE is refused too.
    let resp = auth(
        "&code_challenge_method=plain&code_challenge=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "http://127.0.0.1:4444/cb",
    );
    assert_eq!(query_param(resp.headers()["location"].to_str().unwrap(), "error").as_deref(), Some("invalid_request"));
    // A non-loopback redirect is never followed.
    let s256 = "&code_challenge_method=S256&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    for bad in ["https://evil.example/cb", "http://127.0.0.1.evil.example/cb"] {
        let resp = auth(s256, bad);
        assert_eq!(resp.status(), 400, "{bad}");
        assert!(resp.headers().get("location").is_none(), "{bad}");
        let body = resp.text().unwrap();
        assert!(
            body.contains("redirect_uri must be an http:// URL on a loopback address"),
            "{bad}: the refusal must give the reason: {body}"
        );
    }
    // A wrong code_verifier is refused at the token endpoint.
    let page = auth(s256, "http://127.0.0.1:4444/cb").text().unwrap();
    let resp = c
        .post(format!("{issuer}/auth/login"))
        .form(&[("request", form_field(&page, "request").as_str()), ("email", "d@example.com")])
        .send()
        .unwrap();
    let code = query_param(resp.headers()["location"].to_str().unwrap(), "code").unwrap();
    let resp = c
        .post(format!("{issuer}/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", "http://127.0.0.1:4444/cb"),
            ("client_id", "sigstore"),
            ("code_verifier", "wrong-verifier-wrong-verifier-wrong-verifier-0"),
        ])
        .send()
        .unwrap();
    assert_eq!(resp.status(), 400);
    let v: serde_json::Value = resp.json().unwrap();
    assert_eq!(v["error"], "invalid_grant");
}

#[test]
fn device_flow_gives_a_token_fulcio_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let running = start(dir.path());
    let issuer_url = running.urls().issuer.clone();
    let metadata = CoreProviderMetadata::discover(&IssuerUrl::new(issuer_url.clone()).unwrap(), &http).unwrap();
    let oidc = CoreClient::from_provider_metadata(metadata, ClientId::new("sigstore".into()), None)
        .set_device_authorization_url(DeviceAuthorizationUrl::new(format!("{issuer_url}/device/code")).unwrap());
    let details: CoreDeviceAuthorizationResponse =
        oidc.exchange_device_code().add_scope(Scope::new("email".into())).request(&http).unwrap();

    // The person, on another device: open the page, enter the code and an email.
    let complete = details.verification_uri_complete().unwrap().secret().to_string();
    let user_code = details.user_code().secret().to_string();
    let person = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(1500));
        let c = client();
        let page = c.get(&complete).send().unwrap().text().unwrap();
        assert!(page.contains(&user_code));
        let resp = c
            .post(details_uri(&complete))
            .form(&[("user_code", user_code.as_str()), ("email", "dave@example.com")])
            .send()
            .unwrap();
        assert_eq!(resp.status(), 200);
    });
    let tokens = oidc
        .exchange_device_access_token(&details)
        .unwrap()
        .request(&http, std::thread::sleep, Some(Duration::from_secs(30)))
        .unwrap();
    person.join().unwrap();
    let id_token = tokens.id_token().unwrap();
    let claims = id_token.claims(&oidc.id_token_verifier(), |_: Option<&Nonce>| Ok(())).unwrap();
    assert_eq!(claims.email().map(|e| e.as_str()), Some("dave@example.com"));
    let resp = request_cert(&running, &id_token.to_string(), &ec_key(), "dave@example.com");
    assert_eq!(resp.status(), 201, "{}", resp.text().unwrap());
}

fn details_uri(complete: &str) -> String {
    complete.split('?').next().unwrap().to_string()
}
