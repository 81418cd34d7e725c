//! `/.well-known/host-meta`: the XRD that points at WebFinger.

use edgetube_domain::Origin;

/// `Content-Type` of host-meta.
pub const CONTENT_TYPE: &str = "application/xml; charset=utf-8";

/// The XRD document, byte for byte as PeerTube writes it.
pub fn document(origin: &Origin) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n  \
         <Link rel=\"lrdd\" type=\"application/xrd+xml\" template=\"{}/.well-known/webfinger?resource={{uri}}\"/>\n\
         </XRD>",
        origin.as_str()
    )
}
