//! `codeflix token`: mints a token from the development issuer.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use codeflix_auth::{DevIssuer, Role, TokenRequest};

use crate::settings::Settings;

/// Mint a bearer token signed by the development issuer (embedded defaults only).
///
/// Example:
///
///   TOKEN=$(codeflix token --role catalog-admin)
///   curl -H "Authorization: Bearer $TOKEN" …
///
///   # a customer, for scripts (people sign in at the issuer's pages instead):
///   codeflix token --sub ana --email ana@example.com --name Ana --role viewer
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct TokenArgs {
    /// A role to grant (repeatable): catalog-admin (every role), catalog-categories,
    /// catalog-genres, catalog-cast-members, catalog-videos, billing-plans,
    /// billing-subscriptions, viewer, or any other name.
    #[arg(long = "role", default_value = "catalog-admin")]
    roles: Vec<String>,
    /// A client role to grant, as CLIENT:ROLE (repeatable), e.g. codeflix-admin:catalog-videos;
    /// Keycloak puts these under resource_access.
    #[arg(long = "client-role", value_parser = parse_client_role)]
    client_roles: Vec<(String, String)>,
    /// The subject (user id) the token names.
    #[arg(long, default_value = "dev-admin")]
    sub: String,
    /// The user name the token carries.
    #[arg(long)]
    username: Option<String>,
    /// The email the token carries: a customer's account is registered from it (with --name)
    /// the first time they subscribe.
    #[arg(long)]
    email: Option<String>,
    /// The display name the token carries.
    #[arg(long)]
    name: Option<String>,
    /// How long the token is valid, e.g. 15m, 12h.
    #[arg(long, default_value = "12h", value_parser = humantime::parse_duration)]
    lifetime: Duration,
    /// The audience (`aud`) to put in the token.
    #[arg(long)]
    audience: Option<String>,
}

fn parse_client_role(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((client, role)) if !client.is_empty() && !role.is_empty() => {
            Ok((client.to_owned(), role.to_owned()))
        }
        _ => Err(format!("{text}: expected CLIENT:ROLE")),
    }
}

pub(crate) fn run(settings: &Settings, args: TokenArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        settings.auth.issuer.is_none(),
        "auth.issuer is set to {}: get tokens from that issuer; `codeflix token` mints only \
         for the development issuer",
        settings.issuer_url()
    );
    let mut known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
    known.push(codeflix_auth::VIEWER_ROLE);
    for role in &args.roles {
        if !known.contains(&role.as_str()) {
            eprintln!(
                "note: {role} is not a role Codeflix checks ({})",
                known.join(", ")
            );
        }
    }
    let key = settings.dev_issuer_key();
    let issuer = DevIssuer::open(&key, &settings.dev_issuer_url())
        .with_context(|| format!("opening the development issuer's key {}", key.display()))?;
    let token = issuer
        .mint(
            &TokenRequest {
                subject: args.sub,
                username: args.username,
                email: args.email,
                name: args.name,
                roles: args.roles,
                client_roles: args.client_roles,
                lifetime: args.lifetime,
                audience: args.audience,
            },
            SystemTime::now(),
        )
        .map_err(anyhow::Error::msg)?;
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}
