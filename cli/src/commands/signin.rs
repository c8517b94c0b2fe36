//! `codeflix signin`: a person signs in (or signs up) at the identity provider from a terminal,
//! as native apps do (RFC 8252): the authorization-code flow with PKCE, the redirect received on
//! a loopback port, the access token printed.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::settings::Settings;

/// Sign in at the identity provider in a browser and print an access token for the APIs
/// (stdout; everything else goes to stderr).
///
/// It prints the sign-in page's address; open it, sign in (or, with --register, create an
/// account), and the page hands the result back to this command on a loopback port. Works with
/// the development issuer of `codeflix up` and with Keycloak (`auth.issuer`).
///
/// Example:
///
///   VIEWER=$(codeflix signin --register)
///   curl -H "Authorization: Bearer $VIEWER" localhost:8082/me
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub(crate) struct SigninArgs {
    /// Open the registration page instead of the sign-in page.
    #[arg(long)]
    register: bool,
    /// The public client to sign in as (authorization code with PKCE).
    #[arg(long, default_value = "codeflix-web")]
    client_id: String,
    /// How long to wait for the browser, e.g. 5m.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    timeout: Duration,
}

/// Random text for a PKCE verifier or a state: 32 random bytes, base64url.
fn random() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) async fn run(settings: &Settings, args: SigninArgs) -> anyhow::Result<ExitCode> {
    let issuer = settings.issuer_url();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let discovery: Value = http
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .with_context(|| format!("reading the issuer's discovery document at {issuer}"))?
        .json()
        .await?;
    let endpoint = |name: &str| {
        discovery[name]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("the discovery document names no {name}"))
    };
    let mut authorize = endpoint("authorization_endpoint")?;
    if args.register {
        // Keycloak's (and the development issuer's) registration page takes the same request.
        authorize = authorize.replace(
            "/protocol/openid-connect/auth",
            "/protocol/openid-connect/registrations",
        );
    }
    let token_endpoint = endpoint("token_endpoint")?;

    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("listening on a loopback port for the redirect")?;
    let redirect = format!("http://{}/callback", listener.local_addr()?);
    let verifier = random();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = random();
    let mut page = url::Url::parse(&authorize)?;
    page.query_pairs_mut()
        .append_pair("client_id", &args.client_id)
        .append_pair("redirect_uri", &redirect)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile email")
        .append_pair("state", &state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    eprintln!(
        "Open this page in your browser to {}:\n\n  {page}\n",
        if args.register {
            "create an account"
        } else {
            "sign in"
        }
    );
    let params = tokio::time::timeout(args.timeout, redirected(&listener, &state))
        .await
        .context("no sign-in arrived in time")??;
    if let Some(error) = params.get("error") {
        bail!(
            "the issuer refused: {error} {}",
            params.get("error_description").map_or("", String::as_str)
        );
    }
    let code = params.get("code").context("the redirect carries no code")?;
    let answer = http
        .post(&token_endpoint)
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", args.client_id.as_str()),
            ("code", code.as_str()),
            ("redirect_uri", redirect.as_str()),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .context("exchanging the code")?;
    let status = answer.status();
    let tokens: Value = answer.json().await.context("reading the token answer")?;
    let Some(access) = tokens["access_token"].as_str() else {
        bail!("the issuer answered {status}: {tokens}");
    };
    eprintln!(
        "Signed in; the access token is valid for {} seconds.",
        tokens["expires_in"].as_u64().unwrap_or(0)
    );
    println!("{access}");
    Ok(ExitCode::SUCCESS)
}

/// Waits for the browser's request to `/callback` carrying `state`; answers it with a page that
/// says the terminal has the result, and returns the request's parameters.
async fn redirected(
    listener: &TcpListener,
    state: &str,
) -> anyhow::Result<HashMap<String, String>> {
    loop {
        let (mut stream, _) = listener.accept().await?;
        let mut request = vec![0u8; 8192];
        let read = stream.read(&mut request).await?;
        let text = String::from_utf8_lossy(&request[..read]);
        let target = text
            .lines()
            .next()
            .and_then(|line| line.split_whitespace().nth(1))
            .unwrap_or("/");
        let url = url::Url::parse(&format!("http://127.0.0.1{target}"))?;
        let params: HashMap<String, String> = url.query_pairs().into_owned().collect();
        let ours =
            url.path() == "/callback" && params.get("state").map(String::as_str) == Some(state);
        let (status, body) = if ours {
            (
                "200 OK",
                "Codeflix: signed in. You can close this tab and go back to the terminal.",
            )
        } else {
            ("404 Not Found", "Not a sign-in of this terminal.")
        };
        let response = format!(
            "HTTP/1.1 {status}\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\n\
             cache-control: no-store\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(response.as_bytes()).await?;
        if ours {
            return Ok(params);
        }
    }
}
