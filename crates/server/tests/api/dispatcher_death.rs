//! The attorney line when its dispatcher's node dies (issue 7), on NATS over one PostgreSQL
//! database. The dispatcher runs on a node with a runtime and database sessions of its own,
//! killed as a process dies in the moment between ringing a request and recording it: the next
//! dispatcher still rings the request, and ends the duty of the attorneys the dead node held.
//!
//! The moment is made to last: the test holds a row lock that the request's write must wait for
//! (the organization's row, for the call record; the person's account, for the encounter itself),
//! and kills the dispatcher's node while the write waits.

use crate::attorneys::{Org, attorney, calls_of, on_duty, organization, settings};
use crate::cluster::{WAIT, fresh_cluster, nats, postgres_store, services_led_by, services_on};
use crate::harness::{KillableNode, LiveSocket, TestServer, eventually};
use crate::postgres;
use amparo_server::bus::leader::{DISPATCHER_LEASE, Leadership};
use amparo_server::clock::now_us;
use amparo_server::cluster::lease::Lease;
use amparo_store::Store;
use sqlx::{Connection, PgConnection};
use std::sync::Arc;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// Three nodes: A never leads, C (killable) holds the dispatcher's lease, B campaigns for it.
/// Ana, an attorney, is on duty on A; Ben, of another organization, on C.
struct Line {
    url: String,
    /// The dying node's name in `pg_stat_activity` (one per test: the tests share the server):
    /// how its sessions are found and ended.
    dying: String,
    store: Arc<dyn Store>,
    a: TestServer,
    c: Option<KillableNode>,
    _b: TestServer,
    lead_b: Leadership,
    stop_b: CancellationToken,
    _lead_a: watch::Sender<bool>,
    org: Org,
    other_org: Org,
    ana: LiveSocket,
    _ben: LiveSocket,
}

async fn line(url: &str) -> Line {
    let store = postgres_store(url).await;
    let cluster = fresh_cluster();
    let (services, lead_a) = services_on(nats().await, &cluster, false);
    let (limits, _) = settings(1, 15_000, 60_000);
    let a = TestServer::start_full(store.clone(), tempfile::tempdir().expect("temp dir"), limits, services).await;
    let (leads, led) = std::sync::mpsc::channel();
    let dying = format!("amparo_dying_{}", uuid::Uuid::new_v4().simple());
    let dying_url = format!(
        "{url}{}application_name={dying}",
        if url.contains('?') { '&' } else { '?' }
    );
    let c = a
        .killable_node({
            let cluster = cluster.clone();
            move || async move {
                let store = postgres_store(&dying_url).await;
                let lease = Lease::new(store.clone(), DISPATCHER_LEASE, "c");
                let leadership = Leadership::campaign(lease, CancellationToken::new());
                leads.send(leadership.clone()).expect("the test hears C's leadership");
                (
                    store,
                    services_led_by(nats().await, &cluster, leadership.clone(), leadership),
                )
            }
        })
        .await;
    let lead_c = led.recv().expect("C's leadership");
    assert!(eventually(WAIT, || async { lead_c.held() }).await, "C takes the lease");
    let stop_b = CancellationToken::new();
    let lead_b = Leadership::campaign(Lease::new(store.clone(), DISPATCHER_LEASE, "b"), stop_b.clone());
    let b = a
        .node_with(services_led_by(nats().await, &cluster, lead_b.clone(), lead_b.clone()))
        .await;

    let (org, other_org) = (organization(&a).await, organization(&a).await);
    let (ana, ben) = (
        attorney(&a, &org, "Ana Ruiz").await,
        attorney(&a, &other_org, "Ben Ode").await,
    );
    let ana = on_duty(&a, &ana).await;
    let ben = on_duty(&c, &ben).await;
    // Both duty spans are written before any lock is taken (they refer to the organizations).
    for org in [&org, &other_org] {
        let open = eventually(WAIT, || async { !open_spans(&store, org).await.is_empty() }).await;
        assert!(open, "the duty span is stored");
    }
    Line {
        url: url.to_owned(),
        dying,
        store,
        a,
        c: Some(c),
        _b: b,
        lead_b,
        stop_b,
        _lead_a: lead_a,
        org,
        other_org,
        ana,
        _ben: ben,
    }
}

async fn open_spans(store: &Arc<dyn Store>, org: &Org) -> Vec<amparo_store::DutySpan> {
    let spans = store
        .duty_spans(org.id.parse().expect("org id"), 0, i64::MAX)
        .await
        .expect("duty spans");
    spans.into_iter().filter(|span| span.until_us.is_none()).collect()
}

/// Whether the organization has exactly one open duty span, begun at or after `since_us`.
async fn on_duty_since(store: &Arc<dyn Store>, org: &Org, since_us: i64) -> bool {
    let open = open_spans(store, org).await;
    open.len() == 1 && open[0].since_us >= since_us
}

/// A transaction holding one row's lock, as long as it is kept.
async fn lock_row(url: &str, table: &str, id: &str) -> PgConnection {
    let mut conn = PgConnection::connect(url).await.expect("a connection for the lock");
    sqlx::query("BEGIN").execute(&mut conn).await.expect("begin");
    let statement = format!("SELECT id FROM {table} WHERE id = $1 FOR UPDATE");
    sqlx::query(sqlx::AssertSqlSafe(statement))
        .bind(uuid::Uuid::parse_str(id).expect("a uuid"))
        .execute(&mut conn)
        .await
        .expect("the row's lock");
    conn
}

/// Whether one of the dying node's sessions waits for a lock in a statement that starts so.
async fn dying_node_waits_in(line: &Line, statement: &str) -> bool {
    let mut conn = PgConnection::connect(&line.url).await.expect("a connection");
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 \
         AND wait_event_type = 'Lock' AND query LIKE $2",
    )
    .bind(&line.dying)
    .bind(format!("{statement}%"))
    .fetch_one(&mut conn)
    .await
    .expect("pg_stat_activity");
    waiting > 0
}

impl Line {
    /// Kills C as its process would die: its tasks stop, and PostgreSQL ends its sessions (its
    /// lease and every write it had under way with them). Returns when that was.
    async fn kill_the_dispatcher(&mut self) -> i64 {
        self.c.take().expect("C runs").kill();
        let killed_at = now_us();
        let mut conn = PgConnection::connect(&self.url).await.expect("a connection");
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1")
            .bind(&self.dying)
            .execute(&mut conn)
            .await
            .expect("the dying node's sessions end");
        let took_over = eventually(WAIT, || async { self.lead_b.held() }).await;
        assert!(took_over, "B takes the lease");
        killed_at
    }

    /// The next offer Ana gets, for `encounter`.
    async fn ana_is_rung_for(&mut self, encounter: &str, what: &str) {
        let offer = self.ana.next_of("offer", WAIT).await.expect(what);
        assert_eq!(offer["encounter"], encounter, "{what}");
    }
}

/// The dispatcher rang the request and died before its record landed: the next one finds the
/// request by its encounter and rings it, the dead node's write is gone with it (one record, the
/// new dispatcher's, dated to the encounter's start), and the duty span of the attorney who was
/// on the dead node ends when the new dispatcher starts.
#[tokio::test]
async fn a_request_rung_but_never_recorded_is_rung_by_the_next_dispatcher() {
    postgres::with_fresh_database(|url| async move {
        let mut line = line(&url).await;
        let lock = lock_row(&url, "organizations", &line.org.id).await;
        let encounter = line.a.start_encounter(&line.org.member.token).await;
        line.ana_is_rung_for(&encounter, "rung by C").await;
        let waits = eventually(WAIT, || dying_node_waits_in(&line, "INSERT INTO attorney_calls")).await;
        assert!(waits, "C's writer waits to record the request");
        let killed_at = line.kill_the_dispatcher().await;

        line.ana_is_rung_for(&encounter, "rung again by B, from the encounter alone")
            .await;
        drop(lock);
        let recorded = calls_of(&line.a, &line.org, &encounter, |calls| !calls.is_empty()).await;
        let stored = line
            .store
            .encounter(encounter.parse().expect("id"))
            .await
            .expect("read");
        let started_at = stored.expect("the encounter").started_at_us;
        assert_eq!(
            recorded.len(),
            1,
            "only B's record: C's write died with it: {recorded:?}"
        );
        assert_eq!(
            recorded[0].requested_at_us, started_at,
            "asked as of the encounter's start"
        );
        assert!(recorded[0].closed_at_us.is_none(), "{recorded:?}");

        // Ben was on duty on C only: his span ended when B started, not hours later.
        let bens = line
            .store
            .duty_spans(line.other_org.id.parse().expect("org id"), 0, i64::MAX)
            .await
            .expect("duty spans");
        assert_eq!(bens.len(), 1, "{bens:?}");
        let ended = bens[0].until_us.expect("Ben's span is closed");
        assert!((killed_at..=now_us()).contains(&ended), "ended at B's start: {bens:?}");
        // Ana, on A, is on duty with B: a span from B's start, open.
        let anas = eventually(WAIT, || on_duty_since(&line.store, &line.org, killed_at)).await;
        assert!(anas, "Ana's duty goes on with B");
        line.stop_b.cancel();
    })
    .await;
}

/// The request went to C while its encounter was still being written, and C died before the
/// encounter's row was there; B started before it was, so B's start found nothing. When the row
/// lands, A's word that it is stored reaches B, which never heard the request, and B rings it.
#[tokio::test]
async fn a_request_whose_encounter_landed_after_the_takeover_is_rung_too() {
    postgres::with_fresh_database(|url| async move {
        let mut line = line(&url).await;
        let lock = lock_row(&url, "accounts", &line.org.member.id).await;
        let starting = {
            let (base, token) = (line.a.base.clone(), line.org.member.token.clone());
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(format!("{base}/api/v1/encounters"))
                    .bearer_auth(token)
                    .json(&serde_json::json!({"us_state": "CA", "language": "es", "wants_attorney": true}))
                    .send()
                    .await
                    .expect("start")
            })
        };
        let offer = line
            .ana
            .next_of("offer", WAIT)
            .await
            .expect("rung by C while the row is written");
        let encounter = offer["encounter"].as_str().expect("encounter").to_owned();
        let killed_at = line.kill_the_dispatcher().await;
        // B's start is over once it has taken Ana's duty, declared again by A.
        let with_b = eventually(WAIT, || on_duty_since(&line.store, &line.org, killed_at)).await;
        assert!(with_b, "B's start is over");
        drop(lock);
        let started = starting.await.expect("the start's task");
        assert_eq!(started.status(), reqwest::StatusCode::CREATED);

        line.ana_is_rung_for(&encounter, "rung again by B, on A's word").await;
        let recorded = calls_of(&line.a, &line.org, &encounter, |calls| !calls.is_empty()).await;
        assert_eq!(recorded.len(), 1, "{recorded:?}");
        line.stop_b.cancel();
    })
    .await;
}
