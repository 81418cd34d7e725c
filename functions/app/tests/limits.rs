//! Every list and string a client sends is bounded, as PeerTube bounds them, and refused with
//! PeerTube's 400 `invalid-params` before anything is stored.

#![allow(clippy::unwrap_used)]

mod support;

use edgetube_domain::videos::NewVideo;
use edgetube_ports::{Sql, Statement};
use serde_json::{json, Value};
use support::Fixture;

/// Rows of `video_passwords`, whatever video they belong to.
fn stored_passwords(f: &Fixture) -> usize {
    f.block(f.ports.sql.query(Statement::new("SELECT password FROM video_passwords"))).unwrap().len()
}

fn refused_fields(problem: &Value) -> Vec<String> {
    problem["invalid-params"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
}

#[test]
fn video_password_lists_are_bounded_and_distinct() {
    let f = Fixture::new();
    let root = f.root();
    let video = f.video(NewVideo::new(f.channel_of(&root), "Protected soon"));
    let path = format!("/api/v1/videos/{}", video.uuid);

    // A thousand passwords (a 500 kB body holds a hundred times more): refused whole.
    let many: Vec<String> = (0..1000).map(|i| format!("password-{i}")).collect();
    let (status, problem) = f.json("PUT", &path, Some(&root), json!({"privacy": 5, "videoPasswords": many}));
    assert_eq!(status, 400, "{problem}");
    assert_eq!(refused_fields(&problem), ["videoPasswords"]);
    assert_eq!(problem["invalid-params"]["videoPasswords"]["value"], Value::Null, "secrets are not echoed");
    assert_eq!(stored_passwords(&f), 0, "nothing stored");
    assert_eq!(f.get(&path, None).1["privacy"]["id"], 1, "the video is unchanged");

    // Duplicates are refused, as PeerTube refuses them; case makes different passwords.
    let (status, problem) =
        f.json("PUT", &path, Some(&root), json!({"privacy": 5, "videoPasswords": ["same", "same"]}));
    assert_eq!(status, 400);
    assert_eq!(
        problem["invalid-params"]["videoPasswords"]["msg"],
        "Duplicate video passwords are not allowed."
    );
    assert_eq!(stored_passwords(&f), 0);
    let (status, problem) = f.json("PUT", &path, Some(&root), json!({"videoPasswords": ["x".repeat(101)]}));
    assert_eq!((status, refused_fields(&problem)), (400, vec!["videoPasswords".to_owned()]));

    // A hundred distinct passwords is the most, and every one of them opens the video.
    let hundred: Vec<String> = (0..100).map(|i| format!("password-{i}")).collect();
    let too_many = [hundred.clone(), vec!["Same".into(), "same".into()]].concat();
    let (status, problem) =
        f.json("PUT", &path, Some(&root), json!({"privacy": 5, "videoPasswords": too_many}));
    assert_eq!((status, refused_fields(&problem)), (400, vec!["videoPasswords".to_owned()]), "102 > 100");
    assert_eq!(f.json("PUT", &path, Some(&root), json!({"privacy": 5, "videoPasswords": hundred})).0, 204);
    assert_eq!(stored_passwords(&f), 100);
    assert_eq!(f.get_with(&path, None, &[("x-peertube-video-password", "password-99")]).0, 200);
    let case = json!({"videoPasswords": ["Same", "same"]});
    assert_eq!(f.json("PUT", &path, Some(&root), case).0, 204);
    assert_eq!(stored_passwords(&f), 2, "passwords are case-sensitive: both kept");
}

#[test]
fn tags_are_five_of_two_to_thirty_characters() {
    let f = Fixture::new();
    let root = f.root();
    let video = f.video(NewVideo::new(f.channel_of(&root), "Tagged"));
    let path = format!("/api/v1/videos/{}", video.uuid);
    for tags in [
        json!(["aa", "bb", "cc", "dd", "ee", "ff"]),
        json!(["a"]),
        json!(["x".repeat(31)]),
        json!((0..10_000).map(|i| format!("tag{i}")).collect::<Vec<_>>()),
    ] {
        let (status, problem) = f.json("PUT", &path, Some(&root), json!({"tags": tags}));
        assert_eq!((status, refused_fields(&problem)), (400, vec!["tags".to_owned()]));
    }
    let five = json!({"tags": ["aa", "bb", "cc", "dd", "x".repeat(30)]});
    assert_eq!(f.json("PUT", &path, Some(&root), five).0, 204);
    assert_eq!(f.get(&path, None).1["tags"].as_array().unwrap().len(), 5);
}

#[test]
fn query_lists_are_bounded() {
    let f = Fixture::new();
    let root = f.root();
    let repeat = |name: &str, value: &str, n: usize| -> String {
        (0..n).map(|_| format!("{name}={value}")).collect::<Vec<_>>().join("&")
    };
    for (list, n) in [
        ("categoryOneOf", 1),
        ("licenceOneOf", 1),
        ("languageOneOf", 1),
        ("tagsOneOf", 1),
        ("tagsAllOf", 1),
        ("privacyOneOf", 1),
    ] {
        let value = match list {
            "languageOneOf" => "en",
            "tagsOneOf" | "tagsAllOf" => "music",
            _ => "1",
        };
        let ok = f.get(&format!("/api/v1/videos?{}", repeat(list, value, n)), Some(&root));
        assert_eq!(ok.0, 200, "{list}: {}", ok.1);
        let refused = f.get(&format!("/api/v1/videos?{}", repeat(list, value, 16)), Some(&root));
        assert_eq!((refused.0, refused_fields(&refused.1)), (400, vec![list.to_owned()]), "{list}");
    }
    let jobs = |query: &str| f.get(&format!("/api/v1/runners/jobs?{query}"), Some(&root));
    assert_eq!(jobs(&repeat("stateOneOf", "1", 2)).0, 200);
    let refused = jobs(&repeat("stateOneOf", "1", 1000));
    assert_eq!((refused.0, refused_fields(&refused.1)), (400, vec!["stateOneOf".to_owned()]));
    assert_eq!(jobs("stateOneOf=99").0, 400, "an unknown state");
}

#[test]
fn user_and_runner_strings_are_bounded() {
    let f = Fixture::with_vars(&[("SIGNUP_OPEN", "true"), ("RUNNER_REGISTRATION_TOKEN", "ptrrt-limits")]);
    let long = "x".repeat(121);
    let (status, problem) = f.json(
        "POST",
        "/api/v1/users/register",
        None,
        json!({"username": "bob", "password": "bob-password", "email": "bob@example.com",
               "displayName": long, "channel": {"name": "bob_channel", "displayName": long}}),
    );
    assert_eq!(status, 400, "{problem}");
    assert_eq!(refused_fields(&problem), ["displayName", "channel.displayName"]);
    assert_eq!(f.password_grant("bob", "bob-password").0, 400, "no account was made");

    let root = f.root();
    let (status, problem) = f.json(
        "POST",
        "/api/v1/users",
        Some(&root),
        json!({"username": "carol", "password": "carol-password", "email": "carol@example.com",
               "role": 2, "channelName": "a channel name with spaces"}),
    );
    assert_eq!((status, refused_fields(&problem)), (400, vec!["channelName".to_owned()]));

    let register = |body: Value| f.json("POST", "/api/v1/runners/register", None, body);
    let (status, problem) = register(
        json!({"registrationToken": "ptrrt-limits", "name": "runner", "description": "x".repeat(1001)}),
    );
    assert_eq!((status, refused_fields(&problem)), (400, vec!["description".to_owned()]));
    let (status, problem) = register(json!({"registrationToken": "t".repeat(1001), "name": "runner"}));
    assert_eq!((status, refused_fields(&problem)), (400, vec!["registrationToken".to_owned()]));
    let (status, problem) = register(json!({"registrationToken": "ptrrt-limits", "name": "x".repeat(101)}));
    assert_eq!((status, refused_fields(&problem)), (400, vec!["name".to_owned()]));
    let ok =
        register(json!({"registrationToken": "ptrrt-limits", "name": "runner", "description": "A runner"}));
    assert_eq!(ok.0, 200, "{}", ok.1);
}

#[test]
fn video_quotas_stay_within_what_sql_returns_as_integers() {
    let f = Fixture::new();
    let root = f.root();
    for quota in [json!(-106_204_962_753_208_080_i64), json!(-2), json!(1_i64 << 53)] {
        let (status, problem) = f.json("PUT", "/api/v1/users/1", Some(&root), json!({"videoQuota": quota}));
        assert_eq!((status, refused_fields(&problem)), (400, vec!["videoQuota".to_owned()]), "{quota}");
    }
    assert_eq!(
        f.json("PUT", "/api/v1/users/1", Some(&root), json!({"videoQuotaDaily": (1_i64 << 53) - 1})).0,
        204
    );
    assert_eq!(f.get("/api/v1/accounts/root", Some(&root)).0, 200, "the user still reads back");
}
