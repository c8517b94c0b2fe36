//! Bearer tokens at the HTTP edge: who is calling (401, or 503 when the issuer cannot be reached)
//! and whether they may (403 naming the role).

use axum::http::{HeaderMap, StatusCode, header};
use codeflix_auth::{AuthError, Principal, Role, Verifier};

use crate::problem::Problem;

/// The caller of a request with an `Authorization: Bearer …` header, verified.
pub async fn authenticate(verifier: &Verifier, headers: &HeaderMap) -> Result<Principal, Problem> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    verifier.verify_header(header).await.map_err(|e| match e {
        AuthError::IssuerUnavailable(_) => Problem::unavailable(e.to_string()),
        _ => Problem::unauthorized(e.to_string()),
    })
}

/// 403 unless `principal` holds `role` (or is a catalog admin).
pub fn require(principal: &Principal, role: Role) -> Result<(), Problem> {
    if principal.may(role) {
        Ok(())
    } else {
        Err(Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Not allowed",
            format!(
                "this operation needs the role {role} or {}",
                Role::CatalogAdmin
            ),
        ))
    }
}
