//! Getting an identity token, in the Go gitsign's order: one that needs no prompt
//! ([`crate::providers`]: `SIGSTORE_ID_TOKEN`, the configured or detected `tokenProvider`); else
//! the browser flow (authorization code with PKCE on a loopback listener, state and nonce
//! checked) — or the device flow for terminals without a browser. Tokens are never logged.

use crate::ui::Ui;
use gitsign_core::config::{Config, Env, TokenProvider};
use gitsign_core::net::Http;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreDeviceAuthorizationResponse, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, DeviceAuthorizationUrl, IssuerUrl, Nonce, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse,
};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

pub use gitsign_core::token::{IdentityError, Token};

/// Gets a token.
pub fn get_token(config: &Config, env: &Env, http: &Http, ui: &mut Ui) -> Result<Token, IdentityError> {
    if let Some(token) = crate::providers::ambient_token(config, env, http)? {
        return Ok(token);
    }
    let provider = Provider::discover(config, http)?;
    match config.token_provider {
        Some(TokenProvider::Device) => provider.device(config.url_opener.as_deref(), ui),
        _ => provider.browser(config, ui),
    }
}

/// Adapts the shared HTTP client to the OIDC library.
fn oidc_http(
    http: &Http,
) -> impl Fn(openidconnect::HttpRequest) -> Result<openidconnect::HttpResponse, std::io::Error> + '_ {
    move |req: openidconnect::HttpRequest| {
        let resp = http
            .client()
            .request(req.method().clone(), req.uri().to_string())
            .timeout(http.timeout())
            .headers(req.headers().clone())
            .body(req.body().clone())
            .send()
            .map_err(std::io::Error::other)?;
        let mut out = openidconnect::http::Response::builder().status(resp.status());
        for (k, v) in resp.headers() {
            out = out.header(k, v);
        }
        let url = req.uri().to_string();
        out.body(http.body("talking to the OIDC issuer", &url, resp).map_err(std::io::Error::other)?)
            .map_err(std::io::Error::other)
    }
}

/// The OIDC client as discovery configures it.
type Oidc = openidconnect::core::CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// An authorization-code request in flight: where to send the person, and what checks the answer.
struct AuthCodeRequest {
    client: Oidc,
    url: url::Url,
    state: CsrfToken,
    nonce: Nonce,
    verifier: openidconnect::PkceCodeVerifier,
}

struct Provider<'a> {
    http: &'a Http,
    issuer: String,
    metadata: CoreProviderMetadata,
    client_id: String,
    secret: Option<String>,
    connector_id: Option<String>,
    timeout: Duration,
}

impl<'a> Provider<'a> {
    fn discover(config: &Config, http: &'a Http) -> Result<Self, IdentityError> {
        let issuer_url = IssuerUrl::new(config.issuer.clone()).map_err(|e| IdentityError::Provider {
            issuer: config.issuer.clone(),
            detail: format!("not a URL: {e}"),
        })?;
        let metadata =
            CoreProviderMetadata::discover(&issuer_url, &oidc_http(http)).map_err(|e| IdentityError::Provider {
                issuer: config.issuer.clone(),
                detail: format!("discovery failed ({}): {e}", describe_chain(&e)),
            })?;
        let secret = match &config.client_secret_file {
            None => None,
            Some(p) => Some(
                std::fs::read_to_string(p)
                    .map_err(|e| {
                        IdentityError::Login(format!("cannot read the client secret file {}: {e}", p.display()))
                    })?
                    .trim()
                    .to_string(),
            ),
        };
        Ok(Provider {
            http,
            issuer: config.issuer.clone(),
            metadata,
            client_id: config.client_id.clone(),
            secret,
            connector_id: config.connector_id.clone(),
            timeout: config.login_timeout,
        })
    }

    fn provider_err(&self, detail: impl std::fmt::Display) -> IdentityError {
        // The detail quotes the issuer's answers: remote text, printed on the terminal.
        IdentityError::Provider { issuer: self.issuer.clone(), detail: crate::ui::sanitize(&detail.to_string()) }
    }

    fn client(&self) -> Oidc {
        CoreClient::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(self.client_id.clone()),
            self.secret.clone().map(ClientSecret::new),
        )
    }

    /// Checks an ID token's signature, issuer, audience, expiry and nonce; returns it raw.
    fn check_id_token(
        &self,
        id_token: &openidconnect::core::CoreIdToken,
        nonce: Option<&Nonce>,
    ) -> Result<Token, IdentityError> {
        let client = self.client();
        let verifier = client.id_token_verifier();
        let result = match nonce {
            Some(n) => id_token.claims(&verifier, n).map(|_| ()),
            None => id_token.claims(&verifier, |_: Option<&Nonce>| Ok(())).map(|_| ()),
        };
        result.map_err(|e| self.provider_err(format!("its ID token does not verify: {e}")))?;
        Token::new(id_token.to_string())
    }

    fn browser(&self, config: &Config, ui: &mut Ui) -> Result<Token, IdentityError> {
        if config.redirect_url.as_deref() == Some(OOB_REDIRECT) {
            return self.out_of_band(ui);
        }
        let (listener, redirect) = match &config.redirect_url {
            Some(url) => {
                let parsed = url::Url::parse(url)
                    .map_err(|e| IdentityError::Login(format!("redirectURL {url:?} is not a URL: {e}")))?;
                let port = parsed.port().unwrap_or(0);
                let host = parsed.host_str().unwrap_or("127.0.0.1").to_string();
                let bind = if host == "localhost" { "127.0.0.1".to_string() } else { host };
                let l = TcpListener::bind((bind.as_str(), port))
                    .map_err(|e| IdentityError::Login(format!("cannot listen for the login callback on {url}: {e}")))?;
                let actual = l.local_addr().map_err(|e| IdentityError::Login(e.to_string()))?.port();
                let mut redirect = parsed.clone();
                let _ = redirect.set_port(Some(actual));
                (l, redirect.to_string())
            }
            None => {
                let l = TcpListener::bind("127.0.0.1:0").map_err(|e| {
                    IdentityError::Login(format!("cannot listen on a loopback port for the login callback: {e}"))
                })?;
                let port = l.local_addr().map_err(|e| IdentityError::Login(e.to_string()))?.port();
                (l, format!("http://localhost:{port}/auth/callback"))
            }
        };
        let request = self.start_auth_code(redirect)?;
        let auth_url = request.url.clone();
        ui.say(&format!("Your browser will open to sign in. If it does not, open this URL:\n\n  {auth_url}\n"));
        let opened = match &config.url_opener {
            Some(opener) => open_with(opener, auth_url.as_str(), ui),
            None => open_default(auth_url.as_str()),
        };
        if !opened {
            if Ui::has_terminal() {
                ui.say("(no browser could be started here: signing in with a code instead)");
                return self.out_of_band(ui);
            }
            ui.say("(no browser could be started; open the URL above by hand)");
        }
        // `autoclose` false or `autocloseTimeout` 0: the page stays.
        let close_after = Some(config.autoclose_timeout).filter(|t| config.autoclose && !t.is_zero());
        let code = wait_for_code(&listener, request.state.secret(), self.timeout, close_after)?;
        self.finish_auth_code(request, code)
    }

    /// Builds an authorization request (PKCE S256, state, nonce, `connector_id` for Dex).
    fn start_auth_code(&self, redirect: String) -> Result<AuthCodeRequest, IdentityError> {
        let client = self
            .client()
            .set_redirect_uri(RedirectUrl::new(redirect).map_err(|e| IdentityError::Login(e.to_string()))?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge);
        if let Some(c) = &self.connector_id {
            request = request.add_extra_param("connector_id", c.clone());
        }
        let (url, state, nonce) = request.url();
        Ok(AuthCodeRequest { client, url, state, nonce, verifier })
    }

    /// Exchanges the code the person brought back and checks the ID token (nonce included).
    fn finish_auth_code(&self, request: AuthCodeRequest, code: String) -> Result<Token, IdentityError> {
        let tokens = request
            .client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| self.provider_err(format!("no token endpoint: {e}")))?
            .set_pkce_verifier(request.verifier)
            .request(&oidc_http(self.http))
            .map_err(|e| self.provider_err(format!("the code exchange failed: {e} ({})", describe_chain(&e))))?;
        let id_token = tokens.id_token().ok_or_else(|| self.provider_err("its token answer has no id_token"))?;
        self.check_id_token(id_token, Some(&request.nonce))
    }

    /// The out-of-band flow: the issuer shows the code, the person pastes it into the terminal.
    fn out_of_band(&self, ui: &mut Ui) -> Result<Token, IdentityError> {
        let request = self.start_auth_code(OOB_REDIRECT.into())?;
        ui.say(&format!("Open this URL in any browser and sign in:\n\n  {}\n", request.url));
        let code = ui.ask("Then paste the code it shows here: ").filter(|c| !c.is_empty()).ok_or_else(|| {
            IdentityError::Login("no code was entered (and there is no terminal to enter one)".into())
        })?;
        self.finish_auth_code(request, code)
    }

    fn device(&self, url_opener: Option<&str>, ui: &mut Ui) -> Result<Token, IdentityError> {
        let endpoint = device_endpoint(self.http, &self.issuer)?;
        let client = self
            .client()
            .set_device_authorization_url(DeviceAuthorizationUrl::new(endpoint).map_err(|e| self.provider_err(e))?);
        let details: CoreDeviceAuthorizationResponse = client
            .exchange_device_code()
            .add_scope(Scope::new("email".into()))
            .request(&oidc_http(self.http))
            .map_err(|e| {
                self.provider_err(format!("the device authorization request failed: {e} ({})", describe_chain(&e)))
            })?;
        let uri = details
            .verification_uri_complete()
            .map(|u| u.secret().to_string())
            .unwrap_or_else(|| details.verification_uri().to_string());
        ui.say(&format!(
            "To sign in, open {}\nand enter the code {}\n",
            crate::ui::sanitize(&uri),
            crate::ui::sanitize(details.user_code().secret())
        ));
        if let Some(opener) = url_opener {
            // The code is on the screen either way: a failed opener needs no fallback here.
            let _ = open_with(opener, &uri, ui);
        }
        let tokens = client
            .exchange_device_access_token(&details)
            .map_err(|e| self.provider_err(format!("no token endpoint: {e}")))?
            .request(&oidc_http(self.http), std::thread::sleep, Some(self.timeout))
            .map_err(|e| {
                IdentityError::Login(crate::ui::sanitize(&format!(
                    "the device login did not complete: {e} ({})",
                    describe_chain(&e)
                )))
            })?;
        let id_token = tokens.id_token().ok_or_else(|| self.provider_err("its token answer has no id_token"))?;
        self.check_id_token(id_token, None)
    }
}

/// The redirect URI of the out-of-band flow.
pub const OOB_REDIRECT: &str = "urn:ietf:wg:oauth:2.0:oob";

fn describe_chain(e: &dyn std::error::Error) -> String {
    let mut parts = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    if parts.is_empty() { "no further detail".into() } else { parts.join(": ") }
}

/// The device authorization endpoint from the discovery document (the OIDC library does not read it).
fn device_endpoint(http: &Http, issuer: &str) -> Result<String, IdentityError> {
    let url = format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'));
    let doc: serde_json::Value =
        http.json("reading the OIDC discovery document", http.client().get(&url), &url, "an OIDC discovery document")?;
    doc.get("device_authorization_endpoint").and_then(|v| v.as_str()).map(str::to_string).ok_or_else(|| {
        IdentityError::Provider {
            issuer: issuer.to_string(),
            detail: "it offers no device flow (no device_authorization_endpoint); use the browser flow".into(),
        }
    })
}

/// Runs the `urlOpener` command on `url`: the template is split into words as a POSIX shell
/// would (quotes and backslashes, no expansion), then `{{.URL}}` is replaced in every word. False
/// when it cannot start, or exits unsuccessfully within half a second (an opener that stays up,
/// a browser, is left to run).
fn open_with(template: &str, url: &str, ui: &mut Ui) -> bool {
    let words = match shell_words::split(template) {
        Ok(words) => words,
        Err(e) => {
            ui.say(&format!("gitsign: the urlOpener {template:?} cannot be split into words: {e}"));
            return false;
        }
    };
    let mut words = words.into_iter().map(|w| w.replace("{{.URL}}", url));
    let Some(program) = words.next() else { return false };
    let mut child = match std::process::Command::new(&program)
        .args(words)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
    {
        Ok(child) => child,
        Err(e) => {
            ui.say(&format!("gitsign: could not run the urlOpener {program:?}: {e}"));
            return false;
        }
    };
    let deadline = Instant::now() + Duration::from_millis(500);
    while Instant::now() < deadline {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return true,
            Ok(Some(status)) => {
                ui.say(&format!("gitsign: the urlOpener {program:?} failed ({status})"));
                return false;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => return true,
        }
    }
    // Still running: reaped in the background when it ends.
    std::thread::spawn(move || child.wait());
    true
}

/// Starts the desktop's browser on `url`; false if there is none.
fn open_default(url: &str) -> bool {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    std::process::Command::new(program)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}

const PAGE_DONE: &str = "<!doctype html><meta charset=utf-8><title>gitsign</title><body style=\"font:16px system-ui;margin:3em\"><h1>Signed in</h1><p>gitsign has your token; you can close this page.</p>";

/// The script that closes the signed-in page after `seconds` (a countdown in the page meanwhile).
/// A browser lets a script close only a window a script opened (or one with no history): when it
/// refuses, the page says so instead of promising a close that will not come.
fn autoclose_script(seconds: u64) -> String {
    format!(
        "<p id=autoclose>This page closes in {seconds} s.</p><script>\
         (function(){{var left={seconds},note=document.getElementById('autoclose');\
         var tick=setInterval(function(){{left-=1;if(left>0){{note.textContent='This page closes in '+left+' s.';}}}},1000);\
         setTimeout(function(){{clearInterval(tick);note.textContent='Closing this page.';window.close();\
         setTimeout(function(){{note.textContent='Your browser does not let this page close itself; you can close it.';}},500);}},{seconds}*1000);}})();\
         </script>"
    )
}

/// Waits for the browser's redirect on `listener`, checks `state`, answers with a page, returns the code.
fn wait_for_code(
    listener: &TcpListener,
    state: &str,
    timeout: Duration,
    close_after: Option<Duration>,
) -> Result<String, IdentityError> {
    let deadline = Instant::now() + timeout;
    listener.set_nonblocking(true).map_err(|e| IdentityError::Login(e.to_string()))?;
    loop {
        let (mut stream, _) = match listener.accept() {
            Ok(s) => s,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(IdentityError::TimedOut(timeout));
                }
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
            Err(e) => return Err(IdentityError::Login(format!("the login callback listener failed: {e}"))),
        };
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let mut line = String::new();
        if BufReader::new(std::io::Read::take(&stream, 16 * 1024)).read_line(&mut line).is_err() {
            continue;
        }
        let target = line.split_whitespace().nth(1).unwrap_or("");
        let Ok(url) = url::Url::parse(&format!("http://localhost{target}")) else { continue };
        if !url.path().ends_with("/callback") && url.path() != "/" {
            let _ = stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            continue;
        }
        let param = |k: &str| url.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
        let respond = |stream: &mut std::net::TcpStream, status: &str, body: &str| {
            let body = match close_after {
                Some(after) if status.starts_with("200") => format!("{body}{}", autoclose_script(after.as_secs())),
                _ => body.to_string(),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        };
        // `state` first: anything that can reach the loopback port (another local process, a
        // web page guessing the port) can send a callback; only the one carrying this login's
        // state may end it, with a code or with an error.
        if param("state").as_deref() != Some(state) {
            respond(
                &mut stream,
                "400 Bad Request",
                "<h1>Unexpected sign-in answer</h1><p>Its state does not match; it was ignored.</p>",
            );
            continue;
        }
        if let Some(err) = param("error") {
            let desc = param("error_description").unwrap_or_default();
            respond(&mut stream, "400 Bad Request", "<h1>Sign-in failed</h1><p>Return to your terminal.</p>");
            return Err(IdentityError::Login(format!(
                "the issuer refused the sign-in: {} {}",
                crate::ui::sanitize(&err),
                crate::ui::sanitize(&desc)
            )));
        }
        let Some(code) = param("code") else {
            respond(&mut stream, "400 Bad Request", "<h1>No code</h1>");
            continue;
        };
        respond(&mut stream, "200 OK", PAGE_DONE);
        return Ok(code);
    }
}
