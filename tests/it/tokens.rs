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
