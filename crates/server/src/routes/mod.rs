//! One file per area of the API.

pub mod accounts;
pub mod bundle;
pub mod contacts;
pub mod encounters;
pub mod follow;
pub mod household_view;
pub mod households;
pub mod log;
pub mod openapi;
pub mod push;
pub mod tus;
pub mod uploads;
