//! Which URLs this instance fetches from or delivers to.
//!
//! A remote document names URLs we then request (its inbox, its key, its outbox): without rules,
//! a hostile server could make the instance probe its own network. Only `https` is allowed, and
//! IP literals of private, loopback, link-local and other non-global ranges are refused, unless
//! the instance runs with `ALLOW_HTTP` for local development (where every peer is on loopback).
//! A host *name* that resolves to such an address is the platform's to stop (Workers' `fetch`
//! does not reach private networks; a native host should firewall).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

/// Why a URL is not fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Not a URL at all.
    #[error("not a URL: {0}")]
    NotAUrl(String),
    /// Not https (and the instance does not allow http).
    #[error("refusing {0}: only https URLs are fetched")]
    Scheme(String),
    /// An IP literal of a range nobody should federate from.
    #[error("refusing {0}: not a public address")]
    PrivateAddress(String),
    /// Credentials in the URL or no host.
    #[error("refusing {0}: expected https://host[:port]/path")]
    Shape(String),
}

/// The outbound rules: strict unless local development is allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// `ALLOW_HTTP`: http and loopback or private peers are fine (tests, `make dev`).
    pub allow_local: bool,
}

impl OutboundPolicy {
    /// Parses `raw` and checks it against the rules.
    pub fn check(self, raw: &str) -> Result<Url, PolicyError> {
        let url = Url::parse(raw).map_err(|_| PolicyError::NotAUrl(raw.to_owned()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(PolicyError::Shape(raw.to_owned()));
        }
        match url.scheme() {
            "https" => {}
            "http" if self.allow_local => {}
            _ => return Err(PolicyError::Scheme(raw.to_owned())),
        }
        let public = match url.host() {
            None => return Err(PolicyError::Shape(raw.to_owned())),
            Some(Host::Domain(domain)) => !is_local_name(domain),
            Some(Host::Ipv4(ip)) => is_public(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => is_public(IpAddr::V6(ip)),
        };
        if !public && !self.allow_local {
            return Err(PolicyError::PrivateAddress(raw.to_owned()));
        }
        Ok(url)
    }
}

fn is_local_name(domain: &str) -> bool {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    domain == "localhost"
        || domain.ends_with(".localhost")
        || domain.ends_with(".local")
        || !domain.contains('.')
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        // Carrier-grade NAT 100.64.0.0/10 and benchmarking 198.18.0.0/15.
        || (a == 100 && (64..128).contains(&b))
        || (a == 198 && (b == 18 || b == 19))
        || a >= 224)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // Unique local fc00::/7, link-local fe80::/10, documentation 2001:db8::/32.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn strict_policy_refuses_local_and_plain_http() {
        let strict = OutboundPolicy { allow_local: false };
        for ok in
            ["https://peertube.example/accounts/root", "https://[2606:4700::1]/inbox", "https://1.1.1.1/x"]
        {
            assert!(strict.check(ok).is_ok(), "{ok}");
        }
        let refused = [
            ("http://peertube.example/inbox", "only https"),
            ("https://127.0.0.1/inbox", "not a public"),
            ("https://10.1.2.3/inbox", "not a public"),
            ("https://192.168.0.1/inbox", "not a public"),
            ("https://169.254.169.254/latest/meta-data", "not a public"),
            ("https://100.64.0.1/", "not a public"),
            ("https://[::1]/inbox", "not a public"),
            ("https://[fd00::1]/inbox", "not a public"),
            ("https://[fe80::1]/inbox", "not a public"),
            ("https://[::ffff:127.0.0.1]/inbox", "not a public"),
            ("https://localhost/inbox", "not a public"),
            ("https://intranet/inbox", "not a public"),
            ("https://user:pw@peertube.example/", "expected https://host"),
            ("ftp://peertube.example/", "only https"),
            ("not a url", "not a URL"),
        ];
        for (url, why) in refused {
            let err = strict.check(url).unwrap_err().to_string();
            assert!(err.contains(why), "{url}: {err}");
        }
    }

    #[test]
    fn local_development_allows_loopback_http() {
        let local = OutboundPolicy { allow_local: true };
        assert!(local.check("http://127.0.0.1:8788/inbox").is_ok());
        assert!(local.check("http://localhost:8788/inbox").is_ok());
        assert!(local.check("ftp://127.0.0.1/").is_err());
    }
}
