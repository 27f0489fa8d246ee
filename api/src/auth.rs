//! Who is calling: the `Caller` extractor every job route takes.
//!
//! With `AUTH=on`, a request carries `Authorization: Bearer <key>`: the administrator's key
//! (compared in constant time) or a tenant's (its id finds the record, the secret's hash is
//! compared in constant time). With `AUTH=off` (loopback only) every caller is the operator, as in
//! the original open API. A tenant sees only its own jobs: another tenant's job is a 404, exactly
//! like a job that does not exist.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use relay_shared::access;
use relay_shared::job::Job;
use relay_shared::store::layout::field;
use relay_shared::store::Store;

use crate::error::{ApiError, ErrorCode};
use crate::AppState;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Caller {
    /// The administrator, or anyone in open mode: every job.
    Operator,
    /// A tenant: its own jobs only.
    Tenant(String),
}

impl Caller {
    pub fn tenant(&self) -> Option<&str> {
        match self {
            Caller::Operator => None,
            Caller::Tenant(id) => Some(id),
        }
    }

    /// The job with this id, if this caller may see it; otherwise a 404 exactly like the one for
    /// a job that does not exist, so a tenant never learns another tenant's job ids.
    pub async fn job(&self, store: &Store, job_id: &str) -> Result<Job, ApiError> {
        store
            .job_for_api(job_id)
            .await?
            .filter(|job| match self {
                Caller::Operator => true,
                Caller::Tenant(id) => job.get(field::TENANT) == Some(id.as_str()),
            })
            .ok_or_else(|| ApiError::job_not_found(job_id))
    }

    /// Administration needs the administrator's key.
    pub fn require_operator(&self) -> Result<(), ApiError> {
        match self {
            Caller::Operator => Ok(()),
            Caller::Tenant(_) => Err(ApiError::new(
                ErrorCode::Forbidden,
                "this endpoint needs the administrator's key",
            )),
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let presented = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, key) = v.trim().split_once(' ')?;
                scheme
                    .eq_ignore_ascii_case("bearer")
                    .then(|| key.trim().to_owned())
            });
        Box::pin(async move {
            let state = state.expect("AppState is registered");
            if !state.auth {
                return Ok(Caller::Operator);
            }
            let Some(key) = presented else {
                return Err(ApiError::unauthorized(
                    "send Authorization: Bearer <API key>",
                ));
            };
            if access::is_admin_key(&key, state.admin_key_hash.as_deref()) {
                return Ok(Caller::Operator);
            }
            match state.store.tenant_of_key(&key).await? {
                Some(tenant) => {
                    tracing::Span::current().record("tenant", tenant.as_str());
                    Ok(Caller::Tenant(tenant))
                }
                None => Err(ApiError::unauthorized("unknown or revoked API key")),
            }
        })
    }
}
