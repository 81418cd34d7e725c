//! PeerTube's REST API as Edgetube serves it.
//!
//! Handlers take [`Ports`](edgetube_ports::Ports) and the [`InstanceConfig`](edgetube_domain::InstanceConfig),
//! return `Result<Response, Problem>`, and never panic; [`Problem`] is the single error
//! type and becomes PeerTube's `application/problem+json` in one place,
//! [`Problem::into_response`]. Field names follow PeerTube 7's real responses, which win over
//! its OpenAPI document where the two disagree.

mod abuses;
mod accounts;
mod auth;
mod blocklist;
pub mod body;
mod channels;
mod comments;
pub mod config;
pub mod context;
pub mod direct_uploads;
pub mod dto;
mod federation_admin;
pub mod media;
pub mod pagination;
pub mod rate_limit;
mod ratings;
mod registrations;
mod remote_lookup;
mod routes;
pub mod runners;
mod scoped_tokens;
mod server_follows;
mod subscriptions;
pub mod uploads;
mod users;
pub mod validate;
pub mod videos;
mod views;

pub use body::{Body, BodyError, BodyStream, CollectError, PendingBody};
pub use context::Ctx;
pub use routes::{route, streams_body, unknown_route, whole_body_limit};

pub use edgetube_problem::{respond, InternalError, Problem};
pub use runners::RunnerWait;
