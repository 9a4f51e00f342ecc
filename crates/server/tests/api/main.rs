//! API tests: a real server on a loopback port over a real SQLite store (and PostgreSQL where a
//! test says so), driven over HTTP. One test binary, one module per area.

mod accounts;
mod attorneys;
mod audit;
mod billing;
mod bundle;
mod bus_auth;
mod cluster;
mod cluster_observers;
mod contacts;
mod dispatcher_death;
mod duty_hours;
mod following;
mod harness;
mod hostile;
mod households;
mod log;
#[path = "../support/nats_server.rs"]
mod nats_server;
mod observers;
mod organizations;
mod photo_erase;
mod photos;
/// A fresh PostgreSQL database per test (the store-postgres tests' helper, shared by path).
#[allow(dead_code)]
#[path = "../../../store-postgres/tests/common/mod.rs"]
mod postgres;
mod push;
mod rapid;
mod rapid_webhook;
#[path = "../support/receiver.rs"]
mod receiver;
mod report_retries;
mod s3;
mod s3_multipart;
mod sequencer;
mod uploads;
mod web;
