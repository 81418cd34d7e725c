//! Pages that act for a logged-in user: their HTML is a form or a table that the page's script
//! (`web/public/assets/<page>.js`) fills and submits through the REST API with the viewer's
//! OAuth token, as PeerTube's own client does.

use askama::Template;
use edgetube_api::Ctx;

use crate::internal;
use crate::models::ServerConfig;
use crate::render::{self, Layout};
use crate::Answer;

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    layout: Layout,
}

#[derive(Template)]
#[template(path = "signup.html")]
struct Signup {
    layout: Layout,
    allowed: bool,
    requires_approval: bool,
    minimum_age: i64,
}

#[derive(Template)]
#[template(path = "upload.html")]
struct Upload {
    layout: Layout,
}

#[derive(Template)]
#[template(path = "library.html")]
struct Library {
    layout: Layout,
}

#[derive(Template)]
#[template(path = "edit.html")]
struct Edit {
    layout: Layout,
    id: String,
}

pub fn login(ctx: &Ctx<'_>) -> Answer {
    render::page(&Login { layout: Layout::new(ctx, "Log in") })
}

/// The form follows the instance's signup policy (`GET /config`'s `signup`): closed, open, or
/// open to requests a moderator approves.
pub async fn signup(ctx: &Ctx<'_>) -> Answer {
    let config: ServerConfig = internal::list(ctx, "config").await?;
    render::page(&Signup {
        layout: Layout::new(ctx, "Sign up"),
        allowed: config.signup.allowed,
        requires_approval: config.signup.requires_approval,
        minimum_age: config.signup.minimum_age.max(16),
    })
}

pub fn upload(ctx: &Ctx<'_>) -> Answer {
    render::page(&Upload { layout: Layout::new(ctx, "Upload") })
}

pub fn my_videos(ctx: &Ctx<'_>) -> Answer {
    render::page(&Library { layout: Layout::new(ctx, "My videos") })
}

pub fn edit(ctx: &Ctx<'_>, id: &str) -> Answer {
    render::page(&Edit { layout: Layout::new(ctx, "Edit a video"), id: id.to_owned() })
}
