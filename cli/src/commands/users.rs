//! `codeflix users`: accounts at the development issuer, for the people who sign in on embedded
//! defaults (an admin for the console, say). With Keycloak, its admin console does this.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::Context;
use codeflix_auth::{DevIssuer, NewUser, Password};

use crate::settings::Settings;

/// Accounts at the development issuer (embedded defaults only).
#[derive(Debug, clap::Subcommand)]
pub(crate) enum UsersCommand {
    /// Add an account that can sign in at the issuer's pages, with roles (registration gives
    /// `viewer` only). The password is read from standard input, so it stays out of the shell's
    /// history and the process list:
    ///
    ///   printf '%s\n' "$ADMIN_PASSWORD" | codeflix users add --email ana@example.com \
    ///     --name Ana --role catalog-admin --password-stdin
    #[command(verbatim_doc_comment)]
    Add {
        #[arg(long)]
        email: String,
        /// The name the account shows.
        #[arg(long)]
        name: String,
        /// A role to grant (repeatable), e.g. catalog-admin, accounts-admin, viewer.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// Read the password from the first line of standard input (required).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

pub(crate) async fn run(settings: &Settings, command: UsersCommand) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        settings.auth.issuer.is_none(),
        "auth.issuer is set to {}: add accounts at that identity provider",
        settings.issuer_url()
    );
    let UsersCommand::Add {
        email,
        name,
        roles,
        password_stdin: _,
    } = command;
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\n', '\r']);
    let key = settings.dev_issuer_key();
    let issuer = DevIssuer::open(&key, &settings.dev_issuer_url())
        .with_context(|| format!("opening the development issuer's key {}", key.display()))?;
    let user = issuer
        .add_user(NewUser {
            email,
            name,
            password: Password::new(password),
            roles,
        })
        .await?;
    println!("{}", user.subject);
    eprintln!(
        "added {} ({}) with roles {:?}; they sign in at the issuer's pages",
        user.email, user.subject, user.roles
    );
    Ok(ExitCode::SUCCESS)
}
