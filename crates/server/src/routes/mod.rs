//! One file per area of the API.

pub mod accounts;
pub mod billing;
pub mod bundle;
pub mod contacts;
pub mod encounters;
pub mod follow;
pub mod household_view;
pub mod households;
pub mod invitations;
pub mod log;
pub mod openapi;
pub mod org_view;
pub mod organizations;
pub mod push;
pub mod tus;
pub mod uploads;
