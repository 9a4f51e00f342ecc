//! One file per area of the API.

pub mod accounts;
pub mod attorney_view;
pub mod attorneys;
pub mod billing;
pub mod bundle;
pub mod calls;
pub mod cells;
pub mod contacts;
pub mod encounters;
pub mod follow;
pub mod household_view;
pub mod households;
pub mod incidents;
pub mod invitations;
pub mod log;
pub mod openapi;
pub mod org_view;
pub mod organizations;
pub mod push;
pub mod report_decisions;
pub mod reports;
pub mod tus;
pub mod uploads;
pub mod vehicles;
pub mod watch_areas;
