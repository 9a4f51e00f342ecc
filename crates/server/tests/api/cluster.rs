//! Several nodes of one deployment (issue 7): three servers on three loopback ports over one
//! store, joined by a bus (a real NATS server over one PostgreSQL database, or the in-process bus
//! over one SQLite file), with the attorney line's dispatcher on one of them. A household member,
//! an attorney and a follower each connected to another node than the one that did the work
//! hear what they must; when the lead moves, the line moves with it.

use crate::attorneys::{attorney, call, calls_of, ok, on_duty, organization, person, seated, settings};
use crate::following::household;
use crate::harness::{TestServer, eventually, test_services};
use crate::postgres;
use amparo_server::bus::leader::{DISPATCHER_LEASE, Leadership};
use amparo_server::bus::local::LocalBus;
use amparo_server::bus::nats::NatsBus;
use amparo_server::bus::{Bus, Membership, Subjects};
use amparo_server::cluster::lease::Lease;
use amparo_server::limits::Limits;
use amparo_server::state::Services;
use amparo_store::Store;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// The NATS server the tests use: `AMPARO_TEST_NATS_URL`, by default the local one CI starts.
fn nats_url() -> String {
    std::env::var("AMPARO_TEST_NATS_URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned())
}

pub(crate) async fn nats() -> Bus {
    let url = nats_url();
    match NatsBus::connect(&url).await {
        Ok(bus) => Bus::Nats(bus),
        Err(e) => panic!(
            "NATS is not reachable at {url} ({e}): start one (`nats-server -js -a 127.0.0.1`, as .ci/run does), or set AMPARO_TEST_NATS_URL"
        ),
    }
}

/// A node's services on `bus`, its attorney line led by `leadership` and its legal observers by
/// `observer_leadership`.
pub(crate) fn services_led_by(
    bus: Bus,
    cluster: &Subjects,
    leadership: Leadership,
    observer_leadership: Leadership,
) -> Services {
    let (_, base) = settings(1, 15_000, 60_000);
    let membership = Membership {
        bus,
        subjects: cluster.clone(),
        leadership,
        observer_leadership,
    };
    Services {
        membership,
        web_push: test_services().web_push,
        ..base
    }
}

/// A node's services on `bus`, leading (both dispatchers) while its sender says `true`.
pub(crate) fn services_on(bus: Bus, cluster: &Subjects, lead: bool) -> (Services, watch::Sender<bool>) {
    let (leads, held) = watch::channel(lead);
    let services = services_led_by(bus, cluster, Leadership::follow(held.clone()), Leadership::follow(held));
    (services, leads)
}

/// A store over the fresh PostgreSQL database at `url`.
pub(crate) async fn postgres_store(url: &str) -> Arc<dyn Store> {
    Arc::new(
        amparo_store_postgres::PostgresStore::connect(url)
            .await
            .expect("postgres store"),
    )
}

/// A cluster name no other test shares, so tests on one NATS server never hear each other.
pub(crate) fn fresh_cluster() -> Subjects {
    Subjects::new(&format!("t{}", uuid::Uuid::new_v4().simple())).expect("a valid cluster name")
}

#[tokio::test]
async fn three_nodes_on_nats_share_alerts_offers_signaling_and_progress() {
    postgres::with_fresh_database(|url| async move {
        let store = postgres_store(&url).await;
        let (limits, _) = settings(1, 15_000, 60_000);
        let start = |services| TestServer::start_full(store, tempfile::tempdir().expect("temp dir"), limits, services);
        let ([a, b, c], leads) = three_nodes(nats_buses().await, start, |services| services).await;
        across_three_nodes([&a, &b, &c], leads).await;
    })
    .await;
}

#[tokio::test]
async fn three_nodes_on_the_in_process_bus_do_the_same() {
    let (limits, _) = settings(1, 15_000, 60_000);
    let start = |services| TestServer::start_with_services(limits, services);
    let ([a, b, c], leads) = three_nodes(in_process_buses(), start, |services| services).await;
    across_three_nodes([&a, &b, &c], leads).await;
}

/// Three buses on one NATS server.
pub(crate) async fn nats_buses() -> [Bus; 3] {
    [nats().await, nats().await, nats().await]
}

/// Three nodes' handles on one in-process bus, all joined before any node starts (a node alone
/// at its start listens to nobody).
pub(crate) fn in_process_buses() -> [Bus; 3] {
    let bus = LocalBus::new();
    [Bus::Local(bus.join()), Bus::Local(bus.join()), Bus::Local(bus)]
}

/// Three nodes of one deployment on `buses`, C leading both dispatchers (each node's sender says
/// whether it leads): A started by `start`, B and C beside it; `shape` finishes each node's
/// services.
pub(crate) async fn three_nodes<Start, Started>(
    [bus_a, bus_b, bus_c]: [Bus; 3],
    start: Start,
    shape: fn(Services) -> Services,
) -> ([TestServer; 3], [watch::Sender<bool>; 3])
where
    Start: FnOnce(Services) -> Started,
    Started: std::future::Future<Output = TestServer>,
{
    let cluster = fresh_cluster();
    let (services_a, lead_a) = services_on(bus_a, &cluster, false);
    let (services_b, lead_b) = services_on(bus_b, &cluster, false);
    let (services_c, lead_c) = services_on(bus_c, &cluster, true);
    let a = start(shape(services_a)).await;
    let b = a.node_with(shape(services_b)).await;
    let c = a.node_with(shape(services_c)).await;
    ([a, b, c], [lead_a, lead_b, lead_c])
}

/// A node that campaigns for a lease: its server, its view of the lease, and what stops its
/// campaign.
pub(crate) type Campaigner = (TestServer, Leadership, CancellationToken);

/// Three nodes over `store` (one PostgreSQL database) on NATS, each campaigning for `lease`
/// with services `led` makes from its campaign; once one holds the lease: that one, and the
/// other two.
pub(crate) async fn campaigning(
    store: Arc<dyn Store>,
    limits: Limits,
    lease: &'static str,
    led: impl Fn(Bus, &Subjects, Leadership) -> Services,
) -> (Campaigner, Vec<Campaigner>) {
    let cluster = fresh_cluster();
    let mut nodes: Vec<Campaigner> = Vec::new();
    for name in ["a", "b", "c"] {
        let stop = CancellationToken::new();
        let leadership = Leadership::campaign(Lease::new(store.clone(), lease, name), stop.clone());
        let services = led(nats().await, &cluster, leadership.clone());
        let server = match nodes.first() {
            None => {
                TestServer::start_full(
                    store.clone(),
                    tempfile::tempdir().expect("temp dir"),
                    limits.clone(),
                    services,
                )
                .await
            }
            Some((first, _, _)) => first.node_with(services).await,
        };
        nodes.push((server, leadership, stop));
    }
    let leader = eventually(WAIT, || async {
        nodes.iter().filter(|(_, lead, _)| lead.held()).count() == 1
    })
    .await;
    assert!(leader, "exactly one node takes the lease");
    let at = nodes.iter().position(|(_, lead, _)| lead.held()).expect("a leader");
    let leader = nodes.remove(at);
    (leader, nodes)
}

/// Stops the lease holder as a node dies (its server closes and its session gives the lease up)
/// and waits until one of `survivors` takes the lease.
pub(crate) async fn stop_the_leader((server, _, stop): Campaigner, survivors: &[Campaigner]) {
    stop.cancel();
    drop(server);
    let took_over = eventually(WAIT, || async {
        survivors.iter().filter(|(_, lead, _)| lead.held()).count() == 1
    })
    .await;
    assert!(took_over, "a surviving node takes the lease within {WAIT:?}");
}

/// The dispatcher is on C. The member starts on A, the attorney is on duty on B, the member's
/// own phone and their household are on C, and the recording's chunks go to B. Then the lead
/// moves to A, and a request started on B still rings the attorney on B.
async fn across_three_nodes([a, b, c]: [&TestServer; 3], [lead_a, _lead_b, lead_c]: [watch::Sender<bool>; 3]) {
    let org = organization(a).await;
    let lawyer = attorney(a, &org, "Ana Ruiz").await;
    let relative = person(a).await;
    household(a, &org.member.token, &[&relative.token]).await;

    let mut lawyer_b = on_duty(b, &lawyer).await;
    let mut member_c = c.live(&org.member.token).await;
    let mut relative_c = c.live(&relative.token).await;

    // Started on A: the household on C is alerted, the attorney on B is rung by C's dispatcher.
    let encounter = a.start_encounter(&org.member.token).await;
    let alert = relative_c
        .next_of("alert", WAIT)
        .await
        .expect("the household on C is alerted");
    assert_eq!(alert["encounter"], encounter.as_str());
    assert_eq!(alert["alert"]["kind"]["type"], "encounter_started");
    let offer = lawyer_b
        .next_of("offer", WAIT)
        .await
        .expect("the attorney on B is rung");
    assert_eq!(offer["encounter"], encounter.as_str());
    lawyer_b
        .send_json(&json!({"type": "accept", "encounter": encounter}))
        .await;
    let to_lawyer = lawyer_b.next_of("call", WAIT).await.expect("the call, on B");
    assert_eq!(to_lawyer["role"], "attorney");
    let to_member = member_c.next_of("call", WAIT).await.expect("the call, on C");
    assert_eq!(
        (to_member["role"].as_str(), to_member["peer"]["display_name"].as_str()),
        (Some("member"), Some("Ana Ruiz"))
    );

    // The request's status reads the same on every node (as soon as each has heard it).
    for node in [a, b, c] {
        let path = format!("/api/v1/encounters/{encounter}/attorney-request");
        let connected = eventually(WAIT, || async {
            let status = ok(
                call(node, Method::GET, &path, &org.member.token, None).await,
                StatusCode::OK,
            )
            .await;
            status["status"] == "connected"
        })
        .await;
        assert!(connected, "{}: the status reads connected", node.base);
    }

    // Signaling crosses between B and C, both ways, in order.
    for n in 0..3 {
        let sdp = json!({"sdp": format!("offer {n}")});
        lawyer_b
            .send_json(&json!({"type": "signal", "encounter": encounter, "data": sdp}))
            .await;
        let heard = member_c
            .next_of("signal", WAIT)
            .await
            .expect("the attorney's signal, on C");
        assert_eq!((heard["from"].as_str(), &heard["data"]), (Some("attorney"), &sdp));
    }
    let answer = json!({"sdp": "answer"});
    member_c
        .send_json(&json!({"type": "signal", "encounter": encounter, "data": answer}))
        .await;
    let heard = lawyer_b
        .next_of("signal", WAIT)
        .await
        .expect("the member's signal, on B");
    assert_eq!((heard["from"].as_str(), &heard["data"]), (Some("member"), &answer));

    // A follower on C sees the chunks B stores.
    relative_c
        .send_json(&json!({"type": "follow", "encounter": encounter}))
        .await;
    relative_c
        .next_of("live", WAIT)
        .await
        .expect("the encounter's state on follow");
    let upload = b.create_upload(&org.member.token, &encounter).await;
    let mut sent = 0;
    for chunk in [vec![1u8; 1_000], vec![2u8; 2_000]] {
        let offset = sent;
        sent += chunk.len() as u64;
        let stored = b.patch(&org.member.token, &upload, offset, chunk).await;
        assert_eq!(stored.status(), StatusCode::NO_CONTENT);
        let progress = relative_c
            .next_of("progress", WAIT)
            .await
            .expect("progress from B, on C");
        assert_eq!(progress["encounter"], encounter.as_str());
        assert_eq!(progress["bytes_received"], sent);
    }

    // Hung up from B, the call closes for both sides.
    lawyer_b
        .send_json(&json!({"type": "hangup", "encounter": encounter}))
        .await;
    member_c.next_of("hangup", WAIT).await.expect("the hang-up, on C");

    // The lead moves from C to A: A's dispatcher takes over, and B declares its attorney's duty
    // to it again; a request started on B rings her on B.
    lead_c.send(false).expect("C's lease");
    lead_a.send(true).expect("A's lease");
    let other = seated(a, &org).await;
    let on_duty_again = eventually(WAIT, || async {
        let profile = ok(
            call(b, Method::GET, "/api/v1/attorney/me", &lawyer.token, None).await,
            StatusCode::OK,
        )
        .await;
        profile["on_duty"] == true
    })
    .await;
    assert!(on_duty_again, "the attorney on B is on duty with the new dispatcher");
    let mut other_c = c.live(&other.token).await;
    let second = b.start_encounter(&other.token).await;
    let offer = lawyer_b
        .next_of("offer", WAIT)
        .await
        .expect("rung by A's dispatcher, on B");
    assert_eq!(offer["encounter"], second.as_str());
    lawyer_b
        .send_json(&json!({"type": "accept", "encounter": second}))
        .await;
    other_c.next_of("call", WAIT).await.expect("A's call, on C");
    let written = calls_of(a, &org, &second, |calls| calls.iter().any(|c| c.attorney.is_some())).await;
    assert!(!written.is_empty(), "A's dispatcher wrote the connected call");

    // The lead moves back while that call is connected: its signaling went with A's dispatcher,
    // so C's tells both sides the call ended.
    lead_a.send(false).expect("A's lease");
    lead_c.send(true).expect("C's lease");
    let ended = lawyer_b
        .next_of("hangup", WAIT)
        .await
        .expect("the lost call's end, on B");
    assert_eq!(ended["encounter"], second.as_str());
    let ended = other_c
        .next_of("hangup", WAIT)
        .await
        .expect("the lost call's end, on C");
    assert_eq!(ended["encounter"], second.as_str());
}

/// What both buses promise, checked on each: another node's subscriber hears a publish in order,
/// the publisher never hears itself, patterns match as NATS matches them, a request is answered
/// by one subscriber, and a request nobody listens for says so at once.
pub(crate) async fn bus_contract(here: Bus, there: Bus) {
    let cluster = fresh_cluster();
    let everything = cluster.named("live.>");
    let mut heard_there = there.subscribe(everything.clone()).await.expect("subscribe there");
    let mut heard_here = here.subscribe(everything).await.expect("subscribe here");
    assert!(here.reaches_others());
    for n in 0..20u8 {
        here.publish(cluster.named(&format!("live.account.{n}")), bytes::Bytes::from(vec![n]));
    }
    here.publish(cluster.named("elsewhere"), bytes::Bytes::from_static(b"not live"));
    for n in 0..20u8 {
        let message = tokio::time::timeout(WAIT, heard_there.next())
            .await
            .expect("in time")
            .expect("a message");
        assert_eq!(message.subject, cluster.named(&format!("live.account.{n}")));
        assert_eq!(&message.payload[..], &[n]);
    }
    let more = tokio::time::timeout(Duration::from_millis(200), heard_there.next()).await;
    assert!(more.is_err(), "only what matched the pattern");
    let echo = tokio::time::timeout(Duration::from_millis(200), heard_here.next()).await;
    assert!(echo.is_err(), "a node never hears its own messages");

    let commands = cluster.named("attorney.commands");
    let refused = here.request(commands.clone(), bytes::Bytes::new()).await;
    assert!(
        matches!(refused, Err(amparo_server::bus::BusError::NoResponders(_))),
        "{refused:?}"
    );
    let mut taker = there.subscribe(commands.clone()).await.expect("subscribe");
    let answering = tokio::spawn(async move {
        let message = taker.next().await.expect("the request");
        let answer = [&message.payload[..], b" queued"].concat();
        message.respond(bytes::Bytes::from(answer)).await;
    });
    let answer = here
        .request(commands, bytes::Bytes::from_static(b"duty"))
        .await
        .expect("answered");
    assert_eq!(&answer[..], b"duty queued");
    answering.await.expect("the answering task");
}

#[tokio::test]
async fn the_nats_bus_keeps_the_bus_contract() {
    bus_contract(nats().await, nats().await).await;
}

#[tokio::test]
async fn the_in_process_bus_keeps_the_bus_contract() {
    let bus = LocalBus::new();
    let alone = Bus::Local(LocalBus::new());
    assert!(!alone.reaches_others(), "a single node has nobody to tell");
    bus_contract(Bus::Local(bus.join()), Bus::Local(bus)).await;
}

/// The silence watch across nodes: the encounter starts on B, its chunks go to C, and only A
/// (the lead) alerts, once, when they stop: C's chunks reset A's watch.
#[tokio::test]
async fn chunks_stored_on_one_node_reset_the_silence_watch_of_the_node_that_alerts() {
    let cluster = fresh_cluster();
    let node = |lead: bool| {
        let cluster = cluster.clone();
        async move {
            let (mut services, leads) = services_on(nats().await, &cluster, lead);
            services.alerts.silence_after = Duration::from_secs(2);
            (services, leads)
        }
    };
    let ((services, _lead_a), (limits, _)) = (node(true).await, settings(1, 15_000, 60_000));
    let a = TestServer::start_with_services(limits, services).await;
    let (services, _lead_b) = node(false).await;
    let b = a.node_with(services).await;
    let (services, _lead_c) = node(false).await;
    let c = a.node_with(services).await;

    let (owner, relative) = (person(&a).await, person(&a).await);
    household(&a, &owner.token, &[&relative.token]).await;
    let mut relative_c = c.live(&relative.token).await;
    let encounter = b.start_encounter(&owner.token).await;
    relative_c.next_of("alert", WAIT).await.expect("the start, from B");
    let upload = c.create_upload(&owner.token, &encounter).await;
    for n in 0..6u64 {
        let stored = c.patch(&owner.token, &upload, n * 100, vec![7; 100]).await;
        assert_eq!(stored.status(), StatusCode::NO_CONTENT);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let stopped_at = std::time::Instant::now();
    let alert = relative_c.next_of("alert", WAIT).await.expect("the silence, from A");
    assert_eq!(alert["alert"]["kind"]["type"], "recording_stopped", "{alert}");
    let after = stopped_at.elapsed();
    assert!(
        after >= Duration::from_millis(1_400) && after < Duration::from_secs(4),
        "alerted {after:?} after the last chunk: C's chunks kept A's watch alive"
    );
    assert!(
        relative_c.next_of("alert", Duration::from_secs(3)).await.is_none(),
        "once per silence, whichever node watches"
    );
}

/// Takeover with the real lease: three nodes over one PostgreSQL database campaign for the
/// dispatcher's lease; the holder stops (its server and its campaign, as a node dies), another
/// takes the lease, and an attorney still connected to a surviving node is rung for a request
/// started on another.
#[tokio::test]
async fn when_the_dispatchers_node_stops_another_takes_the_lease_and_the_line_goes_on() {
    postgres::with_fresh_database(|url| async move {
        let store = postgres_store(&url).await;
        let (limits, _) = settings(1, 15_000, 60_000);
        let led = |bus, cluster: &Subjects, lead: Leadership| services_led_by(bus, cluster, lead.clone(), lead);
        let (leader, survivors) = campaigning(store.clone(), limits, DISPATCHER_LEASE, led).await;
        // The attorney and the members use the two nodes that keep running; the leader stops.
        let (one, two) = (&survivors[0].0, &survivors[1].0);
        let org = organization(one).await;
        let lawyer = attorney(one, &org, "Ana Ruiz").await;
        let mut lawyer_live = on_duty(one, &lawyer).await;
        let first = two.start_encounter(&org.member.token).await;
        let offer = lawyer_live
            .next_of("offer", WAIT)
            .await
            .expect("rung by the first leader");
        assert_eq!(offer["encounter"], first.as_str());
        // The request's record is written a moment after the ring, by the leader's writer: here
        // it lands before the leader stops, and the new one picks the request up from it (see
        // `dispatcher_death` for one whose record never landed).
        let recorded = eventually(WAIT, || async {
            store
                .open_calls()
                .await
                .is_ok_and(|calls| calls.iter().any(|call| call.encounter.to_string() == first))
        })
        .await;
        assert!(recorded, "the request's call record is stored");

        stop_the_leader(leader, &survivors).await;

        // The waiting request is picked up from the store and rung again; a new one rings too.
        let offer = lawyer_live
            .next_of("offer", WAIT)
            .await
            .expect("rung again by the new leader");
        assert_eq!(offer["encounter"], first.as_str());
        lawyer_live
            .send_json(&json!({"type": "decline", "encounter": first}))
            .await;
        let other = seated(one, &org).await;
        let second = two.start_encounter(&other.token).await;
        let rung = lawyer_live
            .next_of("offer", WAIT)
            .await
            .expect("a new request, rung after the takeover");
        assert_eq!(rung["encounter"], second.as_str());
        for (_, _, stop) in &survivors {
            stop.cancel();
        }
    })
    .await;
}
