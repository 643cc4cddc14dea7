//! A store passed through to a real one, with a look at every read of events: before it
//! (which may fail it, as a database that went away) and after it (to count reads, or to
//! tell the test the moment a long-poll starts waiting because a read found nothing); and
//! before every read of the list of incidents (which may fail it too).

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use warroom::domain::event::Event;
use warroom::domain::incident::IncidentSummary;
use warroom::store::{Accepted, AppendHook, NewEvent, Store, StoreError, TokenInfo};

/// Asked before a read of events (`incident`, `after`, `limit`): an error is the read's.
pub type BeforeRead = Box<dyn Fn(Uuid, i64, usize) -> Result<(), StoreError> + Send + Sync>;
/// Told of a read of events (`incident`, `after`) and what it found.
pub type AfterRead = Box<dyn Fn(Uuid, i64, &Result<Vec<Event>, StoreError>) + Send + Sync>;
/// Asked before the list of incidents is read: an error is the read's.
pub type BeforeList = Box<dyn Fn() -> Result<(), StoreError> + Send + Sync>;

pub struct Watched {
    inner: Arc<dyn Store>,
    before: BeforeRead,
    after: AfterRead,
    before_list: BeforeList,
}

impl Watched {
    /// Passes everything through, looking at nothing.
    pub fn new(inner: Arc<dyn Store>) -> Watched {
        Watched {
            inner,
            before: Box::new(|_, _, _| Ok(())),
            after: Box::new(|_, _, _| {}),
            before_list: Box::new(|| Ok(())),
        }
    }

    pub fn before_read(
        mut self,
        f: impl Fn(Uuid, i64, usize) -> Result<(), StoreError> + Send + Sync + 'static,
    ) -> Watched {
        self.before = Box::new(f);
        self
    }

    pub fn before_list(
        mut self,
        f: impl Fn() -> Result<(), StoreError> + Send + Sync + 'static,
    ) -> Watched {
        self.before_list = Box::new(f);
        self
    }

    pub fn after_read(
        mut self,
        f: impl Fn(Uuid, i64, &Result<Vec<Event>, StoreError>) + Send + Sync + 'static,
    ) -> Watched {
        self.after = Box::new(f);
        self
    }
}

#[async_trait]
impl Store for Watched {
    async fn append(
        &self,
        incident: Uuid,
        author: &str,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Accepted>, StoreError> {
        self.inner.append(incident, author, events).await
    }

    async fn events_after(
        &self,
        incident: Uuid,
        after: i64,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        (self.before)(incident, after, limit)?;
        let got = self.inner.events_after(incident, after, limit).await;
        (self.after)(incident, after, &got);
        got
    }

    async fn incidents(&self) -> Result<Vec<IncidentSummary>, StoreError> {
        (self.before_list)()?;
        self.inner.incidents().await
    }

    async fn incident(&self, id: Uuid) -> Result<Option<IncidentSummary>, StoreError> {
        self.inner.incident(id).await
    }

    async fn add_token(&self, handle: &str, hash: &str, read_only: bool) -> Result<(), StoreError> {
        self.inner.add_token(handle, hash, read_only).await
    }

    async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenInfo>, StoreError> {
        self.inner.token_by_hash(hash).await
    }

    async fn tokens(&self) -> Result<Vec<TokenInfo>, StoreError> {
        self.inner.tokens().await
    }

    async fn revoke_tokens(&self, handle: &str) -> Result<usize, StoreError> {
        self.inner.revoke_tokens(handle).await
    }

    async fn listen_for_appends(&self, hook: AppendHook) -> Result<(), StoreError> {
        self.inner.listen_for_appends(hook).await
    }

    async fn stored_times(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, DateTime<Utc>>, StoreError> {
        self.inner.stored_times(ids).await
    }

    async fn ready(&self) -> Result<(), StoreError> {
        self.inner.ready().await
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}
