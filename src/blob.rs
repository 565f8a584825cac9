//! `gitsign sign-blob` and `gitsign verify-blob`: cosign-style signing of files into Sigstore
//! bundles (v0.3) and their verification, with the same verifier as git signatures.

use crate::cli::{SignBlobArgs, VerifyBlobArgs};
use gitsign_core::config::{Config, Env, Purpose};
use gitsign_core::verify::Policy;
use std::io::Write;

/// SHA-256 of the artifact: a file, or `sha256:HEX`.
fn artifact_digest(spec: &str) -> Result<[u8; 32], String> {
    if let Some(hex_digest) = spec.strip_prefix("sha256:") {
        return hex::decode(hex_digest)
            .ok()
            .and_then(|d| d.try_into().ok())
            .ok_or_else(|| format!("{spec:?} is not sha256:<64 hex digits>"));
    }
    let bytes = std::fs::read(spec).map_err(|e| format!("{spec}: {e}"))?;
    Ok(gitsign_protocol::sha256(&bytes))
}

fn config(
    env: &Env,
    trusted_root: Option<&std::path::PathBuf>,
    purpose: Purpose,
    err: &mut dyn Write,
) -> Result<Config, String> {
    let mut config = crate::load_config(env, purpose, err).map_err(|e| e.to_string())?;
    if let Some(root) = trusted_root {
        config.trusted_root = Some(root.clone());
    }
    Ok(config)
}

/// `--signing-config FILE` of `sign-blob`: applied over the configured one.
fn with_signing_config(mut config: Config, file: Option<&std::path::PathBuf>) -> Result<Config, String> {
    if let Some(file) = file {
        config.signing_config = Some(file.clone());
        crate::apply_signing_config_file(&mut config).map_err(|e| e.to_string())?;
    }
    Ok(config)
}

/// Why `verify-blob` did not say OK: the command could not run as given (exit 2), or the
/// bundle, key or trust root was refused (exit 1).
enum Failure {
    Usage(String),
    Refused(String),
}

/// `gitsign verify-blob --bundle F (--certificate-identity I --certificate-oidc-issuer U | --key PEM) [--trusted-root F] FILE|sha256:HEX`.
/// Exit 0: verified; 1: verification failed (the message says why); 2: usage or I/O error.
pub fn verify_blob(args: &[String], env: &Env, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match crate::cli::parse_subcommand::<VerifyBlobArgs>("verify-blob", args) {
        Ok(a) => verify_blob_with(a, env, out, err),
        Err(e) => {
            let _ = write!(err, "{}", e.render());
            e.exit_code()
        }
    }
}

/// [`verify_blob`] with its arguments parsed.
pub fn verify_blob_with(a: VerifyBlobArgs, env: &Env, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    use Failure::{Refused, Usage};
    let result = (|| -> Result<gitsign_core::verify::Verified, Failure> {
        let artifact = &a.artifact;
        let bundle_path = &a.bundle;
        let bundle = std::fs::read(bundle_path).map_err(|e| Usage(format!("{bundle_path}: {e}")))?;
        let digest = artifact_digest(artifact).map_err(Usage)?;
        let config = config(env, a.policy.trusted_root.as_ref(), Purpose::Verify, err).map_err(Usage)?;
        let mut trust = crate::trust::load_trust(&config).map_err(|e| Refused(e.to_string()))?;
        if let Some(warning) = trust.apply_ignore_sct_flag(a.policy.insecure_ignore_sct) {
            let _ = writeln!(err, "{warning}");
        }
        let policy = a.policy.policy();
        let key;
        let signer = match &a.key {
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| Usage(format!("{path}: {e}")))?;
                key = gitsign_protocol::keys::PublicKey::from_pem_cert_or_key(&pem)
                    .map_err(|e| Refused(format!("the key {path} is not a usable public key: {e}")))?
                    .0;
                gitsign_core::bundle::Signer::Key(&key)
            }
            None if policy.identity.is_some() && policy.issuer.is_some() => {
                gitsign_core::bundle::Signer::Certificate(&policy)
            }
            None => {
                return Err(Usage(
                    "give --certificate-identity[-regexp] and --certificate-oidc-issuer[-regexp], or --key".into(),
                ));
            }
        };
        gitsign_core::bundle::verify(&trust, &bundle, &digest, &signer).map_err(|e| Refused(e.to_string()))
    })();
    match result {
        Ok(v) => {
            let _ = writeln!(
                out,
                "Verified OK: signed by {} ({}), log index {}",
                v.identity,
                v.issuer.as_deref().unwrap_or("managed key"),
                crate::output::log_index(v.log_index)
            );
            0
        }
        Err(Refused(e)) => {
            let _ = writeln!(err, "gitsign: verification failed: {e}");
            1
        }
        Err(Usage(e)) => {
            let _ = writeln!(err, "gitsign: verify-blob: {e}");
            2
        }
    }
}

/// `gitsign sign-blob --bundle OUT FILE`.
pub fn sign_blob(a: SignBlobArgs, env: &Env, err: &mut dyn Write) -> i32 {
    let result = (|| -> Result<String, String> {
        let (file, out_path) = (&a.file, &a.bundle);
        let bytes = std::fs::read(file).map_err(|e| format!("{file}: {e}"))?;
        let config =
            with_signing_config(config(env, a.trusted_root.as_ref(), Purpose::Sign, err)?, a.signing_config.as_ref())?;
        let trust = crate::trust::load_trust(&config).map_err(|e| e.to_string())?;
        let http = gitsign_core::net::Http::new(config.timeout).map_err(|e| e.to_string())?;
        let mut ui = crate::ui::Ui::terminal();
        let credential =
            crate::credential::obtain_credential(&config, env, &http, &mut ui).map_err(|e| e.to_string())?;
        let bundle = gitsign_core::sign::sign_blob(&bytes, &credential, &config, &http).map_err(|e| e.to_string())?;
        let digest = gitsign_protocol::sha256(&bytes);
        let json = serde_json::to_vec_pretty(&bundle).map_err(|e| e.to_string())?;
        let policy = Policy::default();
        let v =
            gitsign_core::bundle::verify(&trust, &json, &digest, &gitsign_core::bundle::Signer::Certificate(&policy))
                .map_err(|e| format!("the new bundle does not verify against {}: {e}", trust.name()))?;
        std::fs::write(out_path, &json).map_err(|e| format!("{out_path}: {e}"))?;
        Ok(format!(
            "signed {file} as {} (log index {}); bundle written to {out_path}",
            v.identity,
            crate::output::log_index(v.log_index)
        ))
    })();
    match result {
        Ok(msg) => {
            let _ = writeln!(err, "gitsign: {msg}");
            0
        }
        Err(e) => {
            let _ = writeln!(err, "gitsign: sign-blob failed: {e}");
            1
        }
    }
}
