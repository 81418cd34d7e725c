//! ActivityPub's protocol, with no I/O: the documents and activities PeerTube and Mastodon send
//! ([`documents`]) and the signatures that authenticate them ([`signatures`]).
//!
//! Everything here is a pure function of bytes, headers and a clock reading. What needs a key
//! store, the network or WebCrypto (fetching a signer's key, RSA itself) is done by the caller,
//! `edgetube-federation`, through the ports: this crate says *what* to sign or verify and checks
//! every rule around it.

pub mod documents;
pub mod signatures;
