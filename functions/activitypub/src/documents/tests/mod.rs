//! Tests of the documents module against the captured PeerTube 7 and Mastodon traffic.

mod builders;
mod rejections;
mod samples;
mod support;
