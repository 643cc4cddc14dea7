//! Pages out, in shared mode: the server sends the pages clients request, with the teams
//! of the config it was started with (`serve --config FILE`), so API keys stay on one
//! machine and retries go on when the requester's laptop is closed.
//!
//! An append holding a `page_requested` event is checked first: a server with no paging
//! configured, or without the team, refuses it (422) with a sentence saying so. Once such
//! an append (or a resolve or close) is stored, a task of its own sends what the
//! incident's pages need (`crate::paging::Pager::settle`) and records each outcome as a
//! `page_delivery` event in the name of [`SENDER`]. Clients may not send a
//! `page_delivery` themselves. At start, the incidents changed in the last week are looked
//! over once, so pages a stopped server left unsent are sent. `GET /api/v1/paging/teams`
//! names the teams it pages, for clients to offer.

use std::sync::Arc;

use async_trait::async_trait;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use crate::clock::Clock;
use crate::domain::event::EventKind;
use crate::domain::incident::Incident;
use crate::paging::{Ledger, Pager};
use crate::store::{NewEvent, Store};

/// The name the server records page deliveries under.
pub const SENDER: &str = "warroom";

/// How far back the look-over at start goes.
const RECOVER_WITHIN: chrono::Duration = chrono::Duration::days(7);

/// The server's store as the pager's ledger.
#[derive(Clone)]
struct StoreLedger {
    store: Arc<dyn Store>,
    wake: Arc<super::wake::Wakeups>,
    clock: Arc<dyn Clock>,
}

impl StoreLedger {
    fn of(state: &AppState) -> StoreLedger {
        StoreLedger {
            store: state.store.clone(),
            wake: state.wake.clone(),
            clock: state.clock.clone(),
        }
    }
}

#[async_trait]
impl Ledger for StoreLedger {
    async fn state(&self, incident: Uuid) -> Result<Option<Incident>, String> {
        self.store
            .state(incident)
            .await
            .map(|s| s.map(|c| (*c.state).clone()))
            .map_err(|e| e.to_string())
    }

    async fn record(&self, incident: Uuid, id: Uuid, kind: EventKind) -> Result<(), String> {
        let event = NewEvent {
            id,
            at: self.clock.now(),
            persona: None,
            kind,
        };
        let accepted = self
            .store
            .append(incident, SENDER, vec![event])
            .await
            .map_err(|e| e.to_string())?;
        if let Some(last) = accepted.iter().map(|a| a.seq).max() {
            self.wake.notify(incident, last);
        }
        Ok(())
    }
}

fn refused(id: Uuid, message: String) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "refused",
        format!("event {id}: {message}"),
    )
}

/// Before an append is stored: pages only to teams this server has, and no delivery
/// outcomes from clients. Answers whether, once stored, the append leaves pages to send
/// or close ([`settle_later`]).
pub fn check_append(state: &AppState, events: &[NewEvent]) -> Result<bool, ApiError> {
    let config = state.paging.config();
    for e in events {
        match &e.kind {
            EventKind::PageDelivery { .. } => {
                return Err(ApiError::forbidden(format!(
                    "event {}: a page's delivery is recorded by the server that sends the \
                     page, not sent by a client",
                    e.id
                )));
            }
            EventKind::PageRequested { team, provider, .. } => {
                if config.is_empty() {
                    return Err(refused(
                        e.id,
                        format!(
                            "this server has no paging configured, so it cannot page `{team}`: \
                             its operator adds [paging.teams.{team}] to the config file it is \
                             started with (`warroom serve --config FILE`)"
                        ),
                    ));
                }
                let Some(t) = config.teams.get(team) else {
                    return Err(refused(
                        e.id,
                        format!(
                            "no team `{team}` is configured for paging on this server; its \
                             teams are: {}",
                            config.teams.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                    ));
                };
                if let Some(p) = provider
                    && *p != t.provider
                {
                    return Err(refused(
                        e.id,
                        format!(
                            "`{team}` is paged through {} on this server, not {}",
                            t.provider.name(),
                            p.name()
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(crate::paging::wants_settle(events.iter().map(|e| &e.kind)))
}

/// After an append that requested a page, or resolved or closed the incident, is stored:
/// sends what the incident's pages need, on a task of its own.
pub fn settle_later(state: &AppState, incident: Uuid) {
    let (pager, ledger) = (state.paging.clone(), StoreLedger::of(state));
    tokio::spawn(async move {
        pager.settle(&ledger, incident).await;
    });
}

/// At start, when paging is configured: sends what the pages of incidents changed in the
/// last week still need (a server stopped while sending leaves them so).
pub fn recover(state: &AppState) {
    if state.paging.config().is_empty() {
        return;
    }
    tracing::info!("paging: {}", state.paging.config().describe());
    let (pager, ledger) = (state.paging.clone(), StoreLedger::of(state));
    let since = state.clock.now() - RECOVER_WITHIN;
    tokio::spawn(async move {
        let incidents = match ledger.store.incidents().await {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!("paging: the incidents could not be listed to resend pages: {e}");
                return;
            }
        };
        for s in incidents
            .iter()
            .filter(|s| s.updated_at.is_some_and(|t| t >= since))
        {
            let needs = match ledger.state(s.id).await {
                Ok(Some(state)) => !crate::domain::page::outstanding(&state).is_empty(),
                _ => false,
            };
            if needs {
                let (pager, ledger, id) = (pager.clone(), ledger.clone(), s.id);
                tokio::spawn(async move {
                    pager.settle(&ledger, id).await;
                });
            }
        }
    });
}

/// The teams a server pages.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct PagingTeams {
    /// By name; empty when the server pages nobody.
    pub teams: Vec<crate::paging::TeamInfo>,
}

/// The teams this server pages, by name and provider (never a key or an endpoint), so a
/// client can offer them.
#[utoipa::path(
    get, path = "/api/v1/paging/teams", operation_id = "list_paging_teams",
    description = "The teams this server pages (the `[paging]` of the config it was started \
        with, `warroom serve --config FILE`): each team's name and provider, never its key \
        or endpoint. Empty when the server pages nobody.",
    responses(
        (status = 200, description = "the teams, by name", body = PagingTeams),
        (status = 401, description = "no valid token", body = ErrorBody),
        (status = 503, description = "the database is unavailable to check the token", body = ErrorBody)
    ),
    security(("bearer" = []))
)]
pub async fn teams(State(state): State<AppState>, _caller: Caller) -> Json<PagingTeams> {
    Json(PagingTeams {
        teams: state.paging.config().listed(),
    })
}

/// The pager of a server with `config`.
pub fn pager(config: crate::paging::PagingConfig) -> Arc<Pager> {
    Arc::new(Pager::new(config))
}
