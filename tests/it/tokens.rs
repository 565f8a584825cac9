//! Where identity tokens come from: GitHub Actions' ambient token, email-less (`sub`) tokens, and
//! the out-of-band login whose code is typed into the terminal. Also: the debug log holds no
//! token, and `gitsign version` shows the effective configuration.

use crate::common::*;
use gitsign_devstack::oidc::Subject;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::Stdio;
use std::time::Duration;

/// A stand-in for GitHub's token endpoint: answers `{"value": token}` to a request with the
/// right bearer and `audience=sigstore`, 403 otherwise.
fn github_endpoint(token: String, bearer: &'static str) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/token?api-version=2.0", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut s in l.incoming().flatten() {
            let mut buf = vec![0u8; 8192];
            let n = s.read(&mut buf).unwrap_or(0);
            let req = String::from_utf8_lossy(&buf[..n]).to_string();
            let ok = req.lines().next().unwrap_or("").contains("audience=sigstore")
                && req.lines().any(|l| l.eq_ignore_ascii_case(&format!("authorization: Bearer {bearer}")));
            let (status, body) =
                if ok { ("200 OK", format!("{{\"value\":\"{token}\"}}")) } else { ("403 Forbidden", "{}".to_string()) };
            let _ = write!(
                s,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn github_actions_and_sub_only_tokens() {
    let stack = Stack::start();
    let sub = "https://github.com/octo/repo/.github/workflows/release.yml@refs/heads/main";
    let ci_token = gitsign_devstack::state::load_issuer(stack.dir.path())
        .unwrap()
        .mint(&Subject::Sub(sub.into()), None, Duration::from_secs(600))
        .unwrap();
    let mut repo = Repo::new(&stack, "unused@example.com");
    repo.unset_env("SIGSTORE_ID_TOKEN");
    repo.set_env("ACTIONS_ID_TOKEN_REQUEST_URL", &github_endpoint(ci_token.clone(), "runner-secret"));
    repo.set_env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "runner-secret");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed in CI"]);
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!("Good signature from [{sub}]")),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    repo.ok(&["config", "gitsign.certificateIdentity", sub]);
    assert!(repo.git(&["verify-commit", "HEAD"]).status.success());

    // A wrong runner secret: GitHub's endpoint refuses, and so does the commit.
    repo.set_env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "wrong");
    repo.stage("b.txt", "two\n");
    let out = repo.git(&["commit", "-S", "-q", "-m", "refused"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("GitHub Actions"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // SIGSTORE_ID_TOKEN comes first; a sub-only token works there too.
    repo.set_env("SIGSTORE_ID_TOKEN", &ci_token);
    repo.ok(&["commit", "-S", "-q", "-m", "sub-only token"]);
    assert!(repo.git(&["verify-commit", "HEAD"]).status.success());
}

#[test]
fn debug_log_has_steps_but_no_token_and_version_shows_the_config() {
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "ann@example.com");
    let log = repo.path().join("..").join(format!("gitsign-{}.log", std::process::id()));
    repo.set_env("GITSIGN_LOG", &log.display().to_string());
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "logged"]);
    let text = std::fs::read_to_string(&log).unwrap();
    let token = repo.env.iter().find(|(k, _)| k == "SIGSTORE_ID_TOKEN").unwrap().1.clone();
    assert!(text.contains("certificate from") && text.contains("logged in"), "{text}");
    for part in token.split('.') {
        assert!(!text.contains(part), "the log must not hold any part of the token");
    }
    assert!(!text.contains("PRIVATE"));
    std::fs::remove_file(&log).unwrap();

    let out = repo.command(GITSIGN).arg("version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        text.contains(&stack.running.urls().fulcio) && text.contains("rekorMode") && text.contains("offline"),
        "{text}"
    );
    assert!(!text.contains(&token));
}

#[test]
fn out_of_band_login_with_the_code_typed_into_the_terminal() {
    let stack = Stack::start();
    let mut repo = Repo::new(&stack, "unused@example.com");
    repo.unset_env("SIGSTORE_ID_TOKEN");
    repo.set_env("GITSIGN_OIDC_REDIRECT_URL", "urn:ietf:wg:oauth:2.0:oob");
    repo.stage("a.txt", "one\n");
    // `script` gives git (and so gitsign) a terminal; the test reads and types on it.
    let mut child = repo
        .command("script")
        .args(["-qfec", "git commit -S -q -m 'signed after an out-of-band login'", "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut url = None;
    let mut line = String::new();
    while url.is_none() && reader.read_line(&mut line).unwrap() > 0 {
        url = line.split_whitespace().find(|w| w.contains("/oauth2/auth?")).map(str::to_string);
        line.clear();
    }
    let url = url.expect("gitsign printed the login URL on the terminal");
    assert!(url.contains("redirect_uri=urn"), "{url}");

    // The person, in a browser elsewhere: sign in, read the code off the page.
    let c = reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = c.get(&url).send().unwrap().text().unwrap();
    let marker = "name=request value=\"";
    let start = page.find(marker).unwrap() + marker.len();
    let request = &page[start..start + page[start..].find('"').unwrap()];
    let login = format!("{}/auth/login", stack.running.urls().issuer);
    let shown =
        c.post(login).form(&[("request", request), ("email", "gina@example.com")]).send().unwrap().text().unwrap();
    let code = shown.split("<pre>").nth(1).and_then(|s| s.split("</pre>").next()).unwrap().to_string();
    writeln!(child.stdin.as_mut().unwrap(), "{code}").unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "the commit must succeed once the code is typed");
    let out = repo.git(&["verify-commit", "HEAD"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Good signature from [gina@example.com]"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// One request a loopback stand-in received.
struct Request {
    line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// A loopback HTTP stand-in of a provider's service: `answer` maps each request to a status and
/// a body. Returns its `host:port`.
fn stand_in(answer: impl Fn(&Request) -> (u16, String) + Send + 'static) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for s in l.incoming().flatten() {
            let mut r = BufReader::new(s);
            let mut line = String::new();
            if r.read_line(&mut line).is_err() {
                continue;
            }
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = h.trim().split_once(':') {
                    headers.push((k.trim().to_string(), v.trim().to_string()));
                }
            }
            let mut req = Request { line: line.trim().to_string(), headers, body: String::new() };
            let len: usize = req.header("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
            let mut body = vec![0u8; len];
            let _ = r.read_exact(&mut body);
            req.body = String::from_utf8_lossy(&body).to_string();
            let (status, body) = answer(&req);
            let _ = write!(
                r.get_mut(),
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    addr
}

/// A repository whose only token source is what the test gives it (no `SIGSTORE_ID_TOKEN`).
fn tokenless_repo(stack: &Stack) -> Repo {
    let mut repo = Repo::new(stack, "unused@example.com");
    repo.unset_env("SIGSTORE_ID_TOKEN");
    // Markers of the outer environment must not leak into detection.
    for k in [
        "BUILDKITE_AGENT_ACCESS_TOKEN",
        "GCE_METADATA_HOST",
        "GOOGLE_SERVICE_ACCOUNT_NAME",
        "GOOGLE_APPLICATION_CREDENTIALS",
    ] {
        repo.set_env(k, "");
    }
    repo.set_env("SPIFFE_ENDPOINT_SOCKET", &repo.home.path().join("no-spire.sock").display().to_string());
    repo.set_env("GITSIGN_ID_TOKEN_FILE", &repo.home.path().join("no-token-file").display().to_string());
    repo
}

fn commit_and_check_signer(repo: &Repo, file: &str, signer: &str) {
    repo.stage(file, file);
    let out = repo.git(&["commit", "-S", "-q", "-m", file]);
    assert!(out.status.success(), "commit {file}: {}", String::from_utf8_lossy(&out.stderr));
    let out = repo.git(&["verify-commit", "HEAD"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && err.contains(&format!("Good signature from [{signer}]")), "{err}");
}

fn commit_fails(repo: &Repo, file: &str) -> String {
    repo.stage(file, file);
    let out = repo.git(&["commit", "-S", "-q", "-m", file]);
    assert!(!out.status.success(), "the commit of {file} must fail");
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn filesystem_provider_reads_the_token_file_when_it_exists_or_is_named() {
    let stack = Stack::start();
    let mut repo = tokenless_repo(&stack);
    let file = repo.home.path().join("oidc-token");
    std::fs::write(&file, format!("{}\n", stack.token("file@example.com"))).unwrap();
    repo.set_env("GITSIGN_ID_TOKEN_FILE", &file.display().to_string());
    // Detected: the file exists.
    commit_and_check_signer(&repo, "a.txt", "file@example.com");
    // Named, and the file is gone: the error names the file and the setting.
    std::fs::remove_file(&file).unwrap();
    repo.ok(&["config", "gitsign.tokenProvider", "filesystem"]);
    let err = commit_fails(&repo, "b.txt");
    assert!(err.contains("filesystem: cannot read the token file") && err.contains("GITSIGN_ID_TOKEN_FILE"), "{err}");
}

#[test]
fn buildkite_agent_provider_runs_the_agent_and_comes_before_the_token_file() {
    let stack = Stack::start();
    let mut repo = tokenless_repo(&stack);
    let bin = repo.home.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let token = stack.token("buildkite@example.com");
    let agent = bin.join("buildkite-agent");
    // The stand-in answers only the request cosign's provider makes, with the agent's token set.
    std::fs::write(
        &agent,
        format!(
            "#!/bin/sh\n[ \"$*\" = 'oidc request-token --audience sigstore' ] || {{ echo \"bad arguments: $*\" >&2; exit 2; }}\n\
             [ \"$BUILDKITE_AGENT_ACCESS_TOKEN\" = agent-secret ] || {{ echo 'no access token' >&2; exit 3; }}\necho {token}\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&agent, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    repo.set_env("PATH", &format!("{}:{}", bin.display(), std::env::var("PATH").unwrap()));
    repo.set_env("BUILDKITE_AGENT_ACCESS_TOKEN", "agent-secret");
    // A token file is there too: the agent comes first in the detection order.
    let file = repo.home.path().join("oidc-token");
    std::fs::write(&file, stack.token("file@example.com")).unwrap();
    repo.set_env("GITSIGN_ID_TOKEN_FILE", &file.display().to_string());
    commit_and_check_signer(&repo, "a.txt", "buildkite@example.com");
    // Named explicitly, with the agent refusing: its message comes through.
    repo.ok(&["config", "gitsign.tokenProvider", "buildkite-agent"]);
    repo.set_env("BUILDKITE_AGENT_ACCESS_TOKEN", "wrong");
    let err = commit_fails(&repo, "b.txt");
    assert!(err.contains("buildkite-agent oidc request-token failed") && err.contains("no access token"), "{err}");
}

#[test]
fn google_workload_identity_asks_the_metadata_server_gce_metadata_host_names() {
    let stack = Stack::start();
    let mut repo = tokenless_repo(&stack);
    let token = stack.token("gce-sa@example.com");
    let host = stand_in(move |r| {
        let ok = r.line.starts_with(
            "GET /computeMetadata/v1/instance/service-accounts/default/identity?audience=sigstore&format=full ",
        ) && r.header("metadata-flavor") == Some("Google");
        if ok { (200, token.clone()) } else { (403, format!("unexpected request {}", r.line)) }
    });
    repo.set_env("GCE_METADATA_HOST", &host);
    commit_and_check_signer(&repo, "a.txt", "gce-sa@example.com");
    // Named, with no metadata server answering: the failure names the step.
    repo.ok(&["config", "gitsign.tokenProvider", "google-workload-identity"]);
    let dead = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().to_string();
    repo.set_env("GCE_METADATA_HOST", &dead);
    let err = commit_fails(&repo, "b.txt");
    assert!(err.contains("google-workload-identity") && err.contains("GCE metadata server"), "{err}");
}

#[test]
fn google_impersonation_gets_an_id_token_of_the_target_account_from_iam_credentials() {
    let stack = Stack::start();
    let mut repo = tokenless_repo(&stack);
    let target = "signer@project.iam.gserviceaccount.com";
    let token = stack.token(target);
    let addr = stand_in(move |r| {
        if r.line.starts_with("POST /oauth2/token ") {
            // The application-default credentials: a refresh-token grant.
            return if r.body.contains("grant_type=refresh_token") && r.body.contains("refresh_token=rt-1") {
                (200, r#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#.into())
            } else {
                (400, r#"{"error":"invalid_grant"}"#.into())
            };
        }
        let path = format!("POST /v1/projects/-/serviceAccounts/{target}:generateIdToken ");
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
        if r.line.starts_with(&path)
            && r.header("authorization") == Some("Bearer at-1")
            && body["audience"] == "sigstore"
            && body["includeEmail"] == true
        {
            (200, format!("{{\"token\":\"{token}\"}}"))
        } else {
            (403, format!("{{\"error\":{{\"message\":\"refused {}\"}}}}", r.line))
        }
    });
    let adc = repo.home.path().join("adc.json");
    std::fs::write(
        &adc,
        serde_json::json!({
            "type": "authorized_user", "client_id": "cid", "client_secret": "cs", "refresh_token": "rt-1",
            "token_uri": format!("http://{addr}/oauth2/token"),
        })
        .to_string(),
    )
    .unwrap();
    repo.set_env("GOOGLE_APPLICATION_CREDENTIALS", &adc.display().to_string());
    repo.set_env("GITSIGN_GOOGLE_IAM_CREDENTIALS_URL", &format!("http://{addr}"));
    repo.set_env("GOOGLE_SERVICE_ACCOUNT_NAME", target);
    commit_and_check_signer(&repo, "a.txt", target);
    // Another account: IAM refuses, and the refusal is what the person reads.
    repo.set_env("GOOGLE_SERVICE_ACCOUNT_NAME", "other@project.iam.gserviceaccount.com");
    let err = commit_fails(&repo, "b.txt");
    assert!(err.contains("google-impersonation") && err.contains("403"), "{err}");
}

#[test]
fn spiffe_is_refused_as_not_supported_by_this_build() {
    let stack = Stack::start();
    let repo = tokenless_repo(&stack);
    repo.ok(&["config", "gitsign.tokenProvider", "spiffe"]);
    let err = commit_fails(&repo, "a.txt");
    assert!(err.contains("spiffe token provider is not supported by this build"), "{err}");
}

#[test]
fn every_go_token_provider_value_is_accepted_and_a_bad_one_fails_signing_but_not_verification() {
    let stack = Stack::start();
    let repo = Repo::new(&stack, "ann@example.com");
    repo.stage("a.txt", "one\n");
    repo.ok(&["commit", "-S", "-q", "-m", "signed"]);
    for value in [
        "interactive",
        "device",
        "github-actions",
        "filesystem",
        "buildkite-agent",
        "spiffe",
        "google-workload-identity",
        "google-impersonation",
    ] {
        repo.ok(&["config", "gitsign.tokenProvider", value]);
        let out = repo.command(GITSIGN).arg("version").output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success() && text.contains(value), "{value}: {text}");
    }
    repo.ok(&["config", "gitsign.tokenProvider", "carrier-pigeon"]);
    let err = commit_fails(&repo, "b.txt");
    assert!(err.contains("gitsign.tokenProvider") && err.contains("google-impersonation"), "{err}");
    // The signing-only setting is not read when verifying: no ERRSIG, a good signature.
    let out = repo.git(&["verify-commit", "--raw", "HEAD"]);
    let raw = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && raw.contains("GOODSIG") && !raw.contains("ERRSIG"), "{raw}");
}
