//! The documents and activities of ActivityPub as PeerTube 7 and Mastodon send them.
