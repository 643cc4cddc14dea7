//! The OpenAPI 3 document of API v1, generated from the handlers and their types.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use axum::Json;
use axum::response::{IntoResponse, Response};

use super::alerts;
use super::auth::Caller;
use super::error::{ErrorBody, ErrorDetail};
use super::paging;
use super::routes;
use super::status;
use crate::domain::alert::{
    Alert, AlertStatus, AlertmanagerAlert, AlertmanagerMessage, AlertmanagerVersion, GenericAlert,
};
use crate::domain::attention::{Attention, Handed, Requests};
use crate::domain::document::{IncidentDocument, LatestItems};
use crate::domain::event::{Stage, Status};
use crate::domain::incident::IncidentSummary;
use crate::domain::lang::Lang;
use crate::domain::page::Provider;
use crate::domain::public::{PublicIncident, PublicStatus, PublicUpdate, Text};
use crate::paging::TeamInfo;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "warroom API",
        version = "1",
        description = "Shared incident state for warroom consoles. Every fact is an immutable \
                       event; appends are idempotent by client-made event id and durable when \
                       answered. Bodies are limited to 1 MiB and 1000 events per append. \
                       Alerts from Alertmanager's webhook or warroom's own alert shape are \
                       kept by fingerprint and reach the incidents their group is linked to. \
                       The public status page (/status, /status.json, /status/feed.atom) \
                       needs no token and shows only external updates of open incidents."
    ),
    paths(
        routes::healthz,
        routes::readyz,
        serve,
        routes::me,
        routes::list,
        routes::declare,
        routes::show,
        routes::events,
        routes::append,
        alerts::alertmanager,
        alerts::generic,
        alerts::list,
        paging::teams,
        status::html_page,
        status::json_page,
        status::atom_feed
    ),
    components(schemas(
        ErrorBody,
        ErrorDetail,
        IncidentSummary,
        Attention,
        Requests,
        Handed,
        Stage,
        Status,
        routes::Health,
        routes::Me,
        routes::DeclareRequest,
        routes::Visibility,
        routes::NewEventBody,
        routes::CommsSentFields,
        routes::ChecklistBody,
        routes::CommsVersionBody,
        routes::IncidentState,
        IncidentDocument,
        LatestItems,
        routes::EventsPage,
        routes::AppendRequest,
        routes::AppendResponse,
        routes::AcceptedEvent,
        alerts::AlertList,
        Alert,
        AlertStatus,
        AlertmanagerMessage,
        AlertmanagerAlert,
        AlertmanagerVersion,
        GenericAlert,
        paging::PagingTeams,
        TeamInfo,
        Provider,
        status::StatusDocument,
        PublicIncident,
        PublicStatus,
        PublicUpdate,
        Text,
        Lang
    )),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document itself, for anyone with a token.
#[utoipa::path(get, path = "/api/v1/openapi.json", responses((status = 200, description = "this document"), (status = 401, description = "no valid token", body = ErrorBody)), security(("bearer" = [])))]
pub async fn serve(_caller: Caller) -> Response {
    Json(document()).into_response()
}
