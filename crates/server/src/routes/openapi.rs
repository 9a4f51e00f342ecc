//! The OpenAPI document, generated from the handlers' annotations and served at
//! `/api/v1/openapi.json`.

use super::{
    accounts, attorneys, audit, billing, bundle, calls, cells, contacts, encounters, follow, households, incidents,
    invitations, log, observer_answers, observers, organizations, photo_upload, push, report_decisions, report_deletes,
    report_photos, reports, uploads, vehicles, watch_areas,
};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi, Debug)]
#[openapi(
    info(title = "Amparo API", description = "Recordings that survive, sealed in a transparency log. Errors are RFC 9457 problem+json."),
    paths(
        accounts::sign_up, accounts::log_in, accounts::log_out, accounts::me, accounts::grant_role, accounts::revoke_role,
        encounters::start, encounters::list, encounters::read, encounters::end, encounters::detained,
        encounters::assign_attorney,
        contacts::list, contacts::create, contacts::update, contacts::remove,
        follow::live, follow::following, follow::media, follow::shared,
        bundle::export,
        households::create, households::current, households::invite, households::join, households::remove,
        households::leave, households::set_period,
        push::key, push::subscribe, push::unsubscribe, push::test,
        invitations::pending, invitations::revoke,
        organizations::create, organizations::mine, organizations::read, organizations::add_admin, organizations::remove_admin,
        organizations::set_plan, organizations::set_policy, organizations::seats, organizations::assign, organizations::reclaim,
        organizations::coverage, billing::receive,
        uploads::options, uploads::create, uploads::status, uploads::append, uploads::terminate,
        log::checkpoint, log::key, log::tile, log::inclusion, log::consistency,
        attorneys::vet, attorneys::roster, attorneys::set_policy, attorneys::policy, attorneys::coverage, attorneys::me, attorneys::calls,
        calls::ask, calls::request_status, calls::cancel, calls::add_note, calls::notes, calls::turn,
        reports::create, reports::queue, reports::mine, reports::read, reports::answer,
        report_decisions::verify, report_decisions::merge, report_decisions::reject, report_decisions::ask,
        report_deletes::delete_report, report_deletes::delete_photo,
        photo_upload::upload, report_photos::of_report, report_photos::image, report_photos::share,
        report_photos::of_incident, report_photos::of_vehicle, audit::read,
        incidents::list, incidents::read, incidents::update,
        watch_areas::list, watch_areas::create, watch_areas::remove,
        vehicles::find, vehicles::spoken, vehicles::read, vehicles::set_status,
        cells::around,
        observers::set_availability, observers::availability, observers::request, observers::list, observers::cancel,
        observer_answers::accept, observer_answers::decline, observer_answers::arrived, observer_answers::done,
    ),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
