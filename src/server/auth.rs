//! Bearer tokens: `warroom token create` makes them, the store keeps only their hash.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rand::RngCore;

use super::AppState;
use super::error::ApiError;
use crate::store::hash_token;

/// Who is calling, from their token.
#[derive(Clone, Debug)]
pub struct Caller {
    pub handle: String,
    pub read_only: bool,
}

impl Caller {
    pub fn require_write(&self) -> Result<(), ApiError> {
        if self.read_only {
            Err(ApiError::forbidden(format!(
                "the token of {} is read-only: it can read incidents but not change them",
                self.handle
            )))
        } else {
            Ok(())
        }
    }
}

/// A new random token: `wr_` and 64 hex digits (256 random bits).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("wr_{}", hex::encode(bytes))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| {
                ApiError::unauthorized(
                    "missing `Authorization: Bearer <token>`; make a token with `warroom token create HANDLE`",
                )
            })?
            .to_str()
            .map_err(|_| ApiError::unauthorized("the Authorization header is not readable text"))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be `Bearer <token>`")
            })?;
        let hash = hash_token(token);
        let caller = Self::lookup(state, hash).await?;
        // The request log names who called (never the token).
        if let Some(slot) = parts.extensions.get::<super::CallerSlot>() {
            *slot.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(caller.handle.clone());
        }
        Ok(caller)
    }
}

impl Caller {
    async fn lookup(state: &AppState, hash: String) -> Result<Caller, ApiError> {
        if let Some(caller) = state.tokens.get(&hash) {
            return Ok(caller);
        }
        let info = state
            .store
            .token_by_hash(&hash)
            .await?
            .ok_or_else(|| ApiError::unauthorized("this token is unknown or revoked"))?;
        let caller = Caller {
            handle: info.handle,
            read_only: info.read_only,
        };
        state.tokens.put(hash, caller.clone());
        Ok(caller)
    }
}

/// Recently checked tokens, so a busy client does not cost a database read per request.
/// An entry lives [`TokenCache::TTL`]: a revoked token stops working within that time.
#[derive(Default)]
pub struct TokenCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (Caller, std::time::Instant)>>,
}

impl TokenCache {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(2);

    fn get(&self, hash: &str) -> Option<Caller> {
        let map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.get(hash)
            .filter(|(_, at)| at.elapsed() < Self::TTL)
            .map(|(c, _)| c.clone())
    }

    fn put(&self, hash: String, caller: Caller) {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (_, at)| at.elapsed() < Self::TTL);
        }
        map.insert(hash, (caller, std::time::Instant::now()));
    }
}
