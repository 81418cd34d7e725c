//! The crypto port in pure Rust: the native adapter's module, compiled into this component.
//!
//! Spin has no WebCrypto; the `rsa`, `pbkdf2` and `sha2` crates and WASI's random source are what
//! the native build uses too, so the one module serves both (shared by path, not copied).

#[path = "../../native/src/crypto.rs"]
mod shared;

pub use shared::NativeCrypto;
