//! The first start of an instance, made idempotent so that it can run on any request.
//!
//! Workers have no "first start" hook, and D1 has no interactive transactions, so every step is
//! an `INSERT OR IGNORE` keyed on a unique username inside one atomic batch. Two isolates racing
//! through it both generate keys, but only one set lands and both read back the same rows.

use edgetube_ports::{Ports, Statement};

use crate::actors::{self, ActorKind, NewLocalActor};
use crate::keys::{generate_actor_key, KeyVault};
use crate::{oauth, password, users, DomainError, InstanceConfig, ADMIN_USERNAME, INSTANCE_ACTOR_NAME};

/// Name of the administrator's default channel, as PeerTube names it.
pub fn default_channel_name(username: &str) -> String {
    format!("{username}_channel")
}

/// Makes sure the instance actor, the `root` administrator, its account and its default
/// channel exist. Cheap when they do: one read.
pub async fn ensure_instance(ports: &Ports<'_>, config: &InstanceConfig) -> Result<(), DomainError> {
    let channel_name = default_channel_name(ADMIN_USERNAME);
    if actors::find_local(ports.sql, &channel_name).await?.is_some()
        && actors::find_local(ports.sql, INSTANCE_ACTOR_NAME).await?.is_some()
        && oauth::local_client(ports.sql).await?.is_some()
    {
        return Ok(());
    }

    let vault = KeyVault::new(&config.key_encryption_secret);
    let now = ports.clock.now_millis();
    let instance_key = generate_actor_key(ports.crypto, &vault, INSTANCE_ACTOR_NAME).await?;
    let account_key = generate_actor_key(ports.crypto, &vault, ADMIN_USERNAME).await?;
    let channel_key = generate_actor_key(ports.crypto, &vault, &channel_name).await?;
    let password_hash = password::hash(ports.crypto, &config.admin_password).await?;
    let channel_display = format!("Main {ADMIN_USERNAME} channel");

    let statements: Vec<Statement> = vec![
        actors::insert_local_if_absent(&NewLocalActor {
            kind: ActorKind::Application,
            username: INSTANCE_ACTOR_NAME,
            display_name: INSTANCE_ACTOR_NAME,
            owner_username: None,
            public_key_pem: &instance_key.public_key_pem,
            private_key_sealed: &instance_key.private_key_sealed,
            now,
        }),
        actors::insert_local_if_absent(&NewLocalActor {
            kind: ActorKind::Person,
            username: ADMIN_USERNAME,
            display_name: ADMIN_USERNAME,
            owner_username: None,
            public_key_pem: &account_key.public_key_pem,
            private_key_sealed: &account_key.private_key_sealed,
            now,
        }),
        actors::insert_local_if_absent(&NewLocalActor {
            kind: ActorKind::Group,
            username: &channel_name,
            display_name: &channel_display,
            owner_username: Some(ADMIN_USERNAME),
            public_key_pem: &channel_key.public_key_pem,
            private_key_sealed: &channel_key.private_key_sealed,
            now,
        }),
        users::insert_if_absent(
            ADMIN_USERNAME,
            &config.admin_email,
            &password_hash,
            users::Role::Administrator,
            now,
        ),
        oauth::insert_local_client_if_absent(ports.crypto, now)?,
    ];
    ports.sql.batch(statements).await?;
    Ok(())
}
