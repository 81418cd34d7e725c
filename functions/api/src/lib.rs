//! PeerTube's REST API as Edgetube serves it.
//!
//! Handlers take [`Ports`](edgetube_ports::Ports) and the [`InstanceConfig`](edgetube_domain::InstanceConfig),
//! return `Result<Response, Problem>`, and never panic; [`Problem`] is the single error
//! type and becomes PeerTube's `application/problem+json` in one place,
//! [`Problem::into_response`]. Field names follow PeerTube 7's real responses, which win over
//! its OpenAPI document where the two disagree.

pub mod config;
mod problem;
pub mod respond;

pub use problem::{InternalError, Problem};
