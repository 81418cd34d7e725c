//! Field checks that collect every refusal into one PeerTube 400 with `invalid-params`.

use serde_json::{json, Value};

use crate::Problem;

/// Accumulates invalid fields; [`Checks::finish`] turns them into one problem.
#[derive(Default)]
pub struct Checks {
    problem: Option<Problem>,
    fields: Vec<String>,
}

impl Checks {
    /// Marks body field `field` invalid with PeerTube's message `msg`.
    pub fn invalid(&mut self, field: &str, value: Value, msg: &str) {
        self.invalid_in(field, value, msg, "body");
    }

    /// Marks `field` invalid where it was sent: `body`, `query` or `params` (the path).
    pub fn invalid_in(&mut self, field: &str, value: Value, msg: &str, location: &str) {
        let problem = self.problem.take().unwrap_or_else(|| Problem::bad_request(""));
        self.problem = Some(problem.with_invalid_param(field, value, msg, location));
        self.fields.push(field.to_owned());
    }

    /// `value` must have between `min` and `max` characters.
    pub fn length(&mut self, field: &str, value: &str, min: usize, max: usize, msg: &str) {
        let n = value.chars().count();
        if n < min || n > max {
            self.invalid(field, json!(value), msg);
        }
    }

    /// An optional display name: PeerTube's `USERS.NAME` and `VIDEO_CHANNELS.NAME`, 1–120
    /// characters, when present.
    pub fn display_name(&mut self, field: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.length(field, value, 1, 120, "Should have a valid display name");
        }
    }

    /// PeerTube's actor name rule: 1–50 of `a-z A-Z 0-9 _ .` (and not only dots).
    pub fn username(&mut self, field: &str, value: &str) {
        let valid = (1..=50).contains(&value.len())
            && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            && !value.chars().all(|c| c == '.');
        if !valid {
            self.invalid(field, json!(value), &format!("Should have a valid {field}"));
        }
    }

    /// A plausible e-mail address.
    pub fn email(&mut self, field: &str, value: &str) {
        let valid = value.len() <= 254
            && value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
            })
            && !value.contains(char::is_whitespace);
        if !valid {
            self.invalid(field, json!(value), "Should have a valid email");
        }
    }

    /// `Ok` when nothing was refused, else the 400.
    pub fn finish(self) -> Result<(), Problem> {
        match self.problem {
            None => Ok(()),
            Some(problem) => {
                Err(problem.with_detail(format!("Incorrect request parameters: {}", self.fields.join(", "))))
            }
        }
    }
}
