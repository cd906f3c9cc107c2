//! TLS for every HTTPS call the authorizer makes (key sets, discovery
//! documents, KMS): rustls on AWS-LC, so that AWS-LC is the binary's one
//! crypto library, with the trust anchors the configuration names.
//!
//! The web's roots (Mozilla's, as `webpki-roots` ships them) are trusted by
//! default, as a browser would. A provider behind a private CA (a
//! self-hosted Keycloak or WSO2 Identity Server) is reached by adding that
//! CA: `JWKS_CA_BUNDLE` names a PEM file (in the package or a layer), and
//! `SSL_CERT_FILE`, the variable OpenSSL and most tools read, is honoured
//! too. `JWKS_TRUST_WEB_ROOTS=false` then leaves only those.

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

use crate::settings::{ConfigError, Env};

/// A PEM file of CA certificates trusted for key set and discovery fetches,
/// beside the web's roots.
pub const JWKS_CA_BUNDLE: &str = "JWKS_CA_BUNDLE";
/// Whether the web's roots are trusted for key set and discovery fetches.
pub const JWKS_TRUST_WEB_ROOTS: &str = "JWKS_TRUST_WEB_ROOTS";
/// The PEM file of CA certificates OpenSSL-based tools trust: its
/// certificates are added as `JWKS_CA_BUNDLE`'s are.
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";

/// The largest CA bundle read (the system bundle of Amazon Linux is about
/// 220 KB).
const MAX_BUNDLE_BYTES: u64 = 4 * 1024 * 1024;

/// Which certificate authorities HTTPS fetches trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trust {
    /// The files the added anchors came from, each with its variable.
    pub bundles: Vec<(&'static str, String)>,
    /// The CA certificates of those files.
    added: Vec<CertificateDer<'static>>,
    /// Whether the web's roots are trusted too.
    pub web_roots: bool,
}

impl Default for Trust {
    /// The web's roots only.
    fn default() -> Self {
        Trust {
            bundles: Vec::new(),
            added: Vec::new(),
            web_roots: true,
        }
    }
}

impl Trust {
    /// Reads `JWKS_CA_BUNDLE`, `SSL_CERT_FILE` and `JWKS_TRUST_WEB_ROOTS`,
    /// reading the named files now: a bundle that cannot be used fails the
    /// cold start, naming its variable.
    pub fn read(env: &Env) -> Result<Self, ConfigError> {
        let mut trust = Trust {
            web_roots: env.flag_or(JWKS_TRUST_WEB_ROOTS, true)?,
            ..Trust::default()
        };
        for variable in [JWKS_CA_BUNDLE, SSL_CERT_FILE] {
            let Some(path) = env.text(variable) else {
                continue;
            };
            let pem = read_bundle(&path).map_err(|reason| {
                ConfigError::new(variable, format!("cannot read {path}: {reason}"))
            })?;
            let certificates =
                certificates(&pem).map_err(|reason| ConfigError::new(variable, reason))?;
            trust.added.extend(certificates);
            trust.bundles.push((variable, path));
        }
        if !trust.web_roots && trust.added.is_empty() {
            return Err(ConfigError::new(
                JWKS_TRUST_WEB_ROOTS,
                format!(
                    "is false, but neither {JWKS_CA_BUNDLE} nor {SSL_CERT_FILE} names a CA: no key set server could be trusted"
                ),
            ));
        }
        Ok(trust)
    }

    /// The variables of the trust, in the order of [`Self::settings`].
    pub const VARIABLES: [&'static str; 2] = [JWKS_CA_BUNDLE, JWKS_TRUST_WEB_ROOTS];

    /// Each variable with the value in effect (`JWKS_CA_BUNDLE`: every
    /// file read, `SSL_CERT_FILE`'s included).
    pub fn settings(&self) -> [(&'static str, String); 2] {
        [
            (
                JWKS_CA_BUNDLE,
                self.bundles
                    .iter()
                    .map(|(variable, path)| match *variable {
                        JWKS_CA_BUNDLE => path.clone(),
                        other => format!("(and {other}: {path})"),
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            (JWKS_TRUST_WEB_ROOTS, self.web_roots.to_string()),
        ]
    }

    /// How many CA certificates the bundles added.
    pub fn added(&self) -> usize {
        self.added.len()
    }

    /// The TLS configuration of these anchors; with `web_roots` the web's
    /// roots are trusted whatever the configuration says (AWS's own
    /// endpoints, such as KMS, are certified by them).
    pub fn client_config(&self, web_roots: bool) -> Result<ClientConfig, rustls::Error> {
        let mut roots = RootCertStore::empty();
        if web_roots || self.web_roots {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        // Each was checked to be usable when the configuration was read.
        roots.add_parsable_certificates(self.added.iter().cloned());
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        Ok(ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth())
    }
}

/// The bundle at `path`, up to [`MAX_BUNDLE_BYTES`].
fn read_bundle(path: &str) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|error| error.to_string())?;
    let mut pem = Vec::new();
    file.take(MAX_BUNDLE_BYTES + 1)
        .read_to_end(&mut pem)
        .map_err(|error| error.to_string())?;
    if pem.len() as u64 > MAX_BUNDLE_BYTES {
        return Err(format!("larger than {MAX_BUNDLE_BYTES} bytes"));
    }
    Ok(pem)
}

/// Every certificate of a PEM bundle, each one usable as a trust anchor.
fn certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut certificates = Vec::new();
    for (position, certificate) in CertificateDer::pem_slice_iter(pem).enumerate() {
        // rustls's PEM error quotes the text's bytes: say where, not what.
        let certificate = certificate.map_err(|_| {
            format!(
                "certificate {} is not PEM (a BEGIN line without its END line, or a body that is not base64)",
                position + 1
            )
        })?;
        if let Err(error) = webpki_anchor(&certificate) {
            return Err(format!(
                "certificate {} cannot be a trust anchor: {error}",
                position + 1
            ));
        }
        certificates.push(certificate);
    }
    if certificates.is_empty() {
        return Err("holds no PEM certificate (-----BEGIN CERTIFICATE-----)".to_owned());
    }
    Ok(certificates)
}

/// Whether rustls can take `certificate` as a trust anchor.
fn webpki_anchor(certificate: &CertificateDer<'_>) -> Result<(), String> {
    let mut store = RootCertStore::empty();
    store
        .add(certificate.clone())
        .map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trust(vars: &[(&str, &str)]) -> Result<Trust, ConfigError> {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(variable, _)| *variable == name)
                .map(|(_, value)| (*value).to_owned())
        };
        Trust::read(&Env::new(&lookup))
    }

    /// A CA certificate of the web's roots, as PEM: any real one will do.
    fn some_ca_pem() -> String {
        let root = "MIIBtjCCAVugAwIBAgITBmyf1XSXNmY/Owua2eiedgPySjAKBggqhkjOPQQDAjA5MQswCQYDVQQGEwJVUzEPMA0GA1UEChMGQW1hem9uMRkwFwYDVQQDExBBbWF6b24gUm9vdCBDQSAzMB4XDTE1MDUyNjAwMDAwMFoXDTQwMDUyNjAwMDAwMFowOTELMAkGA1UEBhMCVVMxDzANBgNVBAoTBkFtYXpvbjEZMBcGA1UEAxMQQW1hem9uIFJvb3QgQ0EgMzBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABCmXp8ZBf8ANm+gBG1bG8lKlui2yEujSLtf6ycXYqm0fc4E7O5hrOXwzpcVOho6AF2hiRVd9RFgdszflZwjrZt6jQjBAMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgGGMB0GA1UdDgQWBBSrttvXBp43rDCGB5Fwx5zEGbF4wDAKBggqhkjOPQQDAgNJADBGAiEA4IWSoxe3jfkrBqWTrBqYaGFy+uGh0PsceGCmQ5nFuMQCIQCcAu/xlJyzlvnrxir4tiz+OpAUFteMYyRIHN8wfdVoOw==";
        format!("-----BEGIN CERTIFICATE-----\n{root}\n-----END CERTIFICATE-----\n")
    }

    fn file(name: &str, content: &str) -> String {
        let path = std::env::temp_dir().join(format!("tls-test-{}-{name}", std::process::id()));
        std::fs::write(&path, content).unwrap();
        path.to_string_lossy().into_owned()
    }

    #[test]
    fn the_web_roots_alone_by_default() {
        let default = trust(&[]).unwrap();
        assert_eq!(default, Trust::default());
        assert!(default.web_roots && default.added() == 0);
    }

    #[test]
    fn each_bundle_adds_its_certificates_and_the_web_roots_stay_unless_turned_off() {
        let ca = file(
            "ca.pem",
            &format!("comment\n{}{}", some_ca_pem(), some_ca_pem()),
        );
        let one = trust(&[(JWKS_CA_BUNDLE, &ca)]).unwrap();
        assert_eq!((one.added(), one.web_roots), (2, true));
        let both = trust(&[
            (JWKS_CA_BUNDLE, &ca),
            (SSL_CERT_FILE, &ca),
            (JWKS_TRUST_WEB_ROOTS, "false"),
        ])
        .unwrap();
        assert_eq!((both.added(), both.web_roots), (4, false));
        assert_eq!(
            both.bundles,
            [(JWKS_CA_BUNDLE, ca.clone()), (SSL_CERT_FILE, ca.clone())]
        );
        assert_eq!(
            both.settings(),
            [
                (JWKS_CA_BUNDLE, format!("{ca} (and SSL_CERT_FILE: {ca})")),
                (JWKS_TRUST_WEB_ROOTS, "false".to_owned())
            ]
        );
        assert!(both.client_config(false).is_ok());
    }

    #[test]
    fn an_unusable_bundle_fails_naming_its_variable() {
        let empty = file("empty.pem", "no certificate here");
        let broken = file(
            "broken.pem",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        );
        for (vars, variable, says) in [
            (
                vec![(JWKS_CA_BUNDLE, "/nonexistent/ca.pem")],
                JWKS_CA_BUNDLE,
                "cannot read /nonexistent/ca.pem",
            ),
            (
                vec![(SSL_CERT_FILE, empty.as_str())],
                SSL_CERT_FILE,
                "holds no PEM certificate",
            ),
            (
                vec![(JWKS_CA_BUNDLE, broken.as_str())],
                JWKS_CA_BUNDLE,
                "certificate 1 cannot be a trust anchor",
            ),
            (
                vec![(JWKS_TRUST_WEB_ROOTS, "false")],
                JWKS_TRUST_WEB_ROOTS,
                "no key set server could be trusted",
            ),
            (
                vec![(JWKS_TRUST_WEB_ROOTS, "maybe")],
                JWKS_TRUST_WEB_ROOTS,
                "",
            ),
        ] {
            let error = trust(&vars).unwrap_err();
            assert_eq!(error.variable, variable, "{error}");
            assert!(error.to_string().contains(says), "{error}");
        }
    }
}
