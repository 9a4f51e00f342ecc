//! Legal observers on several nodes (issues 6 and 7): one observer dispatcher in the deployment,
//! on the node that holds its lease. A responder available through node B is offered an incident
//! verified on node A and accepts through node C; the requester's page on another node shows
//! who is on the way; when the lease moves (given up, or its node dies) the new dispatcher hears
//! the availability again from the nodes and offers an open request again. On three servers over
//! NATS and PostgreSQL, and on the in-process bus over SQLite.

use crate::cluster::{
    WAIT, campaigning, in_process_buses, nats_buses, postgres_store, services_led_by, stop_the_leader, three_nodes,
};
use crate::harness::TestServer;
use crate::harness::eventually;
use crate::observers::{
    Responder, answer, ask, away, config, incident, limits, make_available, observers, offered, responder,
};
use crate::postgres;
use amparo_server::bus::Subjects;
use amparo_server::bus::leader::{Leadership, OBSERVER_LEASE};
use amparo_server::state::Services;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::watch;

/// Services for a node of these tests: the observers' settings of `tests/api/observers.rs`.
fn observing(services: Services) -> Services {
    Services {
        observers: config(),
        ..services
    }
}

#[tokio::test]
async fn three_nodes_on_nats_share_one_observer_dispatcher() {
    postgres::with_fresh_database(|url| async move {
        let store = postgres_store(&url).await;
        let start =
            |services| TestServer::start_full(store, tempfile::tempdir().expect("temp dir"), limits(), services);
        let ([a, b, c], leads) = three_nodes(nats_buses().await, start, observing).await;
        observers_across_three_nodes([&a, &b, &c], leads).await;
    })
    .await;
}

#[tokio::test]
async fn three_nodes_on_the_in_process_bus_share_one_observer_dispatcher() {
    let start = |services| TestServer::start_with_services(limits(), services);
    let ([a, b, c], leads) = three_nodes(in_process_buses(), start, observing).await;
    observers_across_three_nodes([&a, &b, &c], leads).await;
}

/// The dispatcher is on C. The requester works on A, one responder is available through B (and
/// connected there) and accepts through C; another is available through C. Then C gives the
/// lease up and A takes it: C declares its responder again, and a request made on B reaches her.
async fn observers_across_three_nodes(
    [a, b, c]: [&TestServer; 3],
    [lead_a, _lead_b, lead_c]: [watch::Sender<bool>; 3],
) {
    let mut requester = responder(a).await;
    let mut on_b = responder(b).await;
    let mut on_c = responder(c).await;
    make_available(b, &on_b, away(1)).await;
    make_available(c, &on_c, away(3)).await;

    // Verified and asked on A; offered (by C's dispatcher) to the nearer responder, on B.
    let first = incident(a, &requester.token).await;
    let asked = ask(a, &requester.token, &first, 1).await;
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    let asked: Value = asked.json().await.expect("request");
    assert_eq!(asked["status"], "offering", "{asked}");
    offered(&mut on_b, &first).await;

    // Accepted through C: answered with the row C's dispatcher wrote.
    let accepted = answer(c, &on_b.token, &first, "accept").await;
    assert_eq!(accepted.status(), StatusCode::OK);
    let accepted: Value = accepted.json().await.expect("observer");
    assert_eq!(accepted["display_name"], on_b.username.as_str());
    let withdrawn = on_c
        .live
        .next_of("observer_offer_withdrawn", WAIT)
        .await
        .expect("the other offer withdrawn, on C");
    assert_eq!(withdrawn["reason"], "taken_by_other");

    // The requester hears it on A, and the incident page on B shows who is on the way.
    let status = requester
        .live
        .next_of("observers", WAIT)
        .await
        .expect("the request's news, on A");
    assert_eq!(status["incident"], first.as_str());
    assert!(
        fulfilled_with(b, &requester, &first, &on_b.username).await,
        "the page on B"
    );
    let on_the_way = eventually(WAIT, || async {
        availability(a, &on_b).await["on_the_way_to"] == first.as_str()
    })
    .await;
    assert!(on_the_way, "A reads that the responder on B is on the way");
    let refused = answer(b, &on_c.token, &first, "accept").await;
    assert_eq!(
        refused.status(),
        StatusCode::CONFLICT,
        "an accept through B is refused too"
    );

    // C gives the lease up, A takes it: the open request is picked up from the store (still
    // fulfilled), and C declares its responder's availability to A's dispatcher again.
    lead_c.send(false).expect("C's lease");
    lead_a.send(true).expect("A's lease");
    let held = eventually(WAIT, || async { availability(b, &on_c).await["available"] == true }).await;
    assert!(held, "B reads the availability C declared again");
    assert!(
        fulfilled_with(c, &requester, &first, &on_b.username).await,
        "the page on C"
    );
    let second = incident(b, &requester.token).await;
    let asked = ask(b, &requester.token, &second, 1).await;
    assert_eq!(asked.status(), StatusCode::ACCEPTED);
    offered(&mut on_c, &second).await;
    let accepted = answer(a, &on_c.token, &second, "accept").await;
    assert_eq!(
        accepted.status(),
        StatusCode::OK,
        "accepted through A, which dispatches now"
    );
}

/// Whether `node` shows the request fulfilled with `name` on the way, within [`WAIT`].
async fn fulfilled_with(node: &TestServer, requester: &Responder, incident: &str, name: &str) -> bool {
    eventually(WAIT, || async {
        let page = observers(node, &requester.token, incident).await;
        page["request"]["status"] == "fulfilled" && page["observers"][0]["display_name"] == name
    })
    .await
}

async fn availability(node: &TestServer, r: &Responder) -> Value {
    let response = node
        .request(Method::GET, "/api/v1/observers/availability", Some(&r.token))
        .send()
        .await
        .expect("availability");
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("availability json")
}

/// Takeover with the real lease: three nodes over one PostgreSQL database campaign for the
/// observer dispatcher's lease. A responder available through one surviving node is offered a
/// request made on the other; the dispatcher's node stops before she answers; another node
/// takes the lease, offers the open request to her again, and her accept goes through.
#[tokio::test]
async fn when_the_observer_dispatchers_node_stops_another_offers_the_open_request_again() {
    postgres::with_fresh_database(|url| async move {
        let store = postgres_store(&url).await;
        // The attorney line is led by nobody here: only the observers' lease is raced.
        let led = |bus, cluster: &Subjects, lead| {
            let nobody = Leadership::follow(watch::channel(false).1);
            observing(services_led_by(bus, cluster, nobody, lead))
        };
        let (leader, survivors) = campaigning(store, limits(), OBSERVER_LEASE, led).await;
        let (one, two) = (&survivors[0].0, &survivors[1].0);
        let requester = responder(two).await;
        let mut observer = responder(one).await;
        make_available(one, &observer, away(1)).await;
        let id = incident(two, &requester.token).await;
        assert_eq!(ask(two, &requester.token, &id, 1).await.status(), StatusCode::ACCEPTED);
        offered(&mut observer, &id).await;

        // The dispatcher's node stops before she answers.
        stop_the_leader(leader, &survivors).await;

        // The new dispatcher asks again for the open request; the availability declared through
        // `one` reaches it again; the responder is offered it again and her accept counts.
        offered(&mut observer, &id).await;
        let accepted = answer(two, &observer.token, &id, "accept").await;
        assert_eq!(accepted.status(), StatusCode::OK);
        assert!(
            fulfilled_with(one, &requester, &id, &observer.username).await,
            "the page on a survivor"
        );
        for (_, _, stop) in &survivors {
            stop.cancel();
        }
    })
    .await;
}
