//! Inbox bodies: `Activity::parse` and the origin rule never panic on any bytes, and a parsed
//! activity's embedded object reads as any document type without panicking either.
#![no_main]

use edgetube_activitypub::documents::{Activity, Note, Object, Video};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(activity) = Activity::parse(data) {
        let _ = activity.check_origin();
        if let Some(object) = activity.object.embedded() {
            let _ = object.read::<Video>();
            let _ = object.read::<Note>();
            let _ = object.read::<Object>();
        }
    }
});
