//! The Redis store's scheduling primitives against a real redis-server: claims, leases, fencing
//! and the idle wait. One contract, kept in one file (a little over 300 lines) beside the helpers
//! its tests share.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use e2e::RedisServer;
use relay_shared::job::{JobStatus, NewJob, PollState};
use relay_shared::store::layout::new_job_id;
use relay_shared::store::{Claim, ClaimFields, Committed, JobRef, PollCommit, Queue, Store};
use relay_shared::Settings;

pub(crate) fn store(redis: &RedisServer, partitions: &str) -> Store {
    let env: HashMap<String, String> = [
        ("REDIS_URL", redis.url()),
        ("JOB_PARTITIONS", partitions.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Store::connect(&Settings::from_sources(None, &env).unwrap()).unwrap()
}

fn new_job(script: &str) -> NewJob {
    NewJob::new("w", script)
}

/// Claims up to `limit` due jobs of one partition, asking for none of their fields.
async fn claim_jobs(
    store: &Store,
    partition: u16,
    limit: usize,
    lease: Duration,
    token: &str,
) -> Claim {
    store
        .claim(
            Queue::Jobs,
            partition,
            limit,
            lease,
            token,
            ClaimFields::new(&[]),
        )
        .await
        .unwrap()
}

pub(crate) fn commit(job_id: &str, token: &str) -> PollCommit {
    PollCommit {
        job: JobRef::new(0, job_id),
        token: token.into(),
        next_poll: Some(Duration::from_secs(60)),
        claimed_status: JobStatus::Queued,
        state: PollState {
            status: JobStatus::Processing,
            progress: 10,
            created_ms: 1,
            interval_ms: Some(60_000),
            since: None,
            own_webhook: false,
            failing_since: None,
            provider_job: Some(relay_shared::job::ProviderRef::new("openai", "video_1")),
            cancel_requested: false,
            estimate: None,
        },
        state_changed: true,
        changed: true,
        milestone: false,
        webhook_body: Some("{}".into()),
        fields: Vec::new(),
    }
}

#[tokio::test]
async fn an_idle_wait_longer_than_a_reply_timeout_ends_quietly_and_a_wake_ends_it_early() {
    let redis = RedisServer::start();
    let store = store(&redis, "1");
    let started = Instant::now();
    assert!(!store
        .wait_for_wake(Duration::from_millis(1500))
        .await
        .unwrap());
    assert!(started.elapsed() >= Duration::from_millis(1400));

    let waiting = {
        let store = store.clone();
        tokio::spawn(async move { store.wait_for_wake(Duration::from_secs(3)).await })
    };
    let started = Instant::now();
    store
        .create_job(&new_job_id(), &new_job("wake up"))
        .await
        .unwrap();
    assert!(waiting.await.unwrap().unwrap(), "woken by the new job");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_claimed_job_is_hidden_for_its_lease_and_its_claimer_alone_may_commit() {
    let redis = RedisServer::start();
    let store = store(&redis, "1");
    let id = new_job_id();
    store.create_job(&id, &new_job("lease me")).await.unwrap();
    let lease = Duration::from_millis(300);

    let first = store
        .claim(
            Queue::Jobs,
            0,
            10,
            lease,
            "worker-a.1",
            ClaimFields::new(&["state"]),
        )
        .await
        .unwrap();
    assert_eq!(first.items.len(), 1);
    let state = first.items[0].values[0].as_deref().unwrap();
    assert_eq!(
        PollState::decode(state).map(|s| s.status),
        Some(JobStatus::Queued)
    );
    let during = claim_jobs(&store, 0, 10, lease, "worker-b.1").await;
    assert!(
        during.items.is_empty(),
        "claimed jobs are not handed out twice"
    );
    let lease_end = during.next_due_ms.unwrap();
    assert!((lease_end - during.now_ms) as u128 <= lease.as_millis());

    // The lease runs out (worker A is presumed dead): worker B takes the job over.
    let taken_over = e2e::eventually(Duration::from_secs(5), "the lease to run out", || async {
        let claim = claim_jobs(&store, 0, 10, lease, "worker-b.2").await;
        (!claim.items.is_empty()).then_some(claim)
    })
    .await;
    assert_eq!(taken_over.items[0].job.id, id);

    assert_eq!(
        store.commit_poll(&commit(&id, "worker-a.1")).await.unwrap(),
        Committed::Fenced
    );
    assert_eq!(
        store.job(&id).await.unwrap().unwrap().status(),
        JobStatus::Queued,
        "the stale write was refused"
    );
    assert_eq!(
        store.commit_poll(&commit(&id, "worker-b.2")).await.unwrap(),
        Committed::Stored { event_seq: Some(1) }
    );
    let job = store.job(&id).await.unwrap().unwrap();
    assert_eq!((job.status(), job.progress()), (JobStatus::Processing, 10));
    let stats = store.stats().await.unwrap();
    assert_eq!((stats.queued_jobs, stats.processing_jobs), (0, 1));
    let deliveries = store
        .claim(
            Queue::Deliveries,
            0,
            10,
            lease,
            "worker-b.3",
            ClaimFields::new(&["pending"]),
        )
        .await
        .unwrap();
    assert_eq!(deliveries.items[0].job.id, id, "the job's outbox is due");
    assert_eq!(deliveries.items[0].values, [Some("1".to_owned())]);
    let events = store
        .outbox_events(&[(&JobRef::new(0, id.clone()), 1)])
        .await
        .unwrap();
    assert_eq!(events[0].as_ref().unwrap().0, "{}");
}

#[tokio::test]
async fn claims_take_due_jobs_in_due_order_and_only_up_to_the_limit() {
    let redis = RedisServer::start();
    let store = store(&redis, "1");
    let mut ids = Vec::new();
    for n in 0..5 {
        let id = new_job_id();
        store
            .create_job(&id, &new_job(&format!("job {n}")))
            .await
            .unwrap();
        ids.push(id);
        tokio::time::sleep(Duration::from_millis(2)).await; // distinct due times
    }
    let claim = claim_jobs(&store, 0, 3, Duration::from_secs(30), "t.1").await;
    let claimed: Vec<&str> = claim.items.iter().map(|i| i.job.id.as_str()).collect();
    assert_eq!(
        claimed,
        ids[..3].iter().map(String::as_str).collect::<Vec<_>>()
    );
    let rest = claim_jobs(&store, 0, 10, Duration::from_secs(30), "t.2").await;
    assert_eq!(rest.items.len(), 2);
}

#[tokio::test]
async fn jobs_spread_over_partitions_and_stats_add_them_up() {
    let redis = RedisServer::start();
    let store = store(&redis, "16");
    for n in 0..64 {
        store
            .create_job(&new_job_id(), &new_job(&format!("job {n}")))
            .await
            .unwrap();
    }
    let mut used = 0;
    for partition in 0..16 {
        let claim = claim_jobs(&store, partition, 100, Duration::from_secs(30), "t.1").await;
        used += usize::from(!claim.items.is_empty());
    }
    assert!(used >= 12, "64 jobs landed in only {used} of 16 partitions");
    let stats = store.stats().await.unwrap();
    assert_eq!((stats.total_jobs, stats.queued_jobs), (64, 64));
}

#[tokio::test]
async fn a_group_commit_stores_each_job_on_its_own_and_fences_only_the_stale_one() {
    let redis = RedisServer::start();
    let store = store(&redis, "1");
    let ids: Vec<String> = (0..3).map(|_| new_job_id()).collect();
    for id in &ids {
        store.create_job(id, &new_job("batch me")).await.unwrap();
    }
    let lease = Duration::from_secs(30);
    let claim = claim_jobs(&store, 0, 10, lease, "worker-a.1").await;
    assert_eq!(claim.items.len(), 3);

    // The middle commit carries a token that never held the job; the last one finishes its job.
    let mut last = commit(&ids[2], "worker-a.1");
    last.state.status = JobStatus::Completed;
    last.next_poll = None;
    let results = store
        .commit_polls(
            0,
            &[
                commit(&ids[0], "worker-a.1"),
                commit(&ids[1], "worker-x.9"),
                last,
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        results,
        [
            Committed::Stored { event_seq: Some(1) },
            Committed::Fenced,
            Committed::Stored { event_seq: Some(1) },
        ]
    );
    let mut statuses = Vec::new();
    for id in &ids {
        statuses.push(store.job(id).await.unwrap().unwrap().status());
    }
    assert_eq!(
        statuses,
        [
            JobStatus::Processing,
            JobStatus::Queued,
            JobStatus::Completed
        ]
    );
    let stats = store.stats().await.unwrap();
    assert_eq!(
        (
            stats.queued_jobs,
            stats.processing_jobs,
            stats.completed_jobs
        ),
        (1, 1, 1),
        "the counters moved for the stored commits only"
    );
    // The fenced job keeps its claim; the committed ones are free to be claimed when due, and the
    // finished one has left the schedule.
    let forced = store.force_poll(&ids[0]).await.unwrap();
    assert!(matches!(
        forced,
        relay_shared::store::ForcePoll::Scheduled(_)
    ));
    let again = claim_jobs(&store, 0, 10, lease, "worker-b.2").await;
    let again: Vec<&str> = again
        .items
        .iter()
        .map(|item| item.job.id.as_str())
        .collect();
    assert_eq!(again, [ids[0].as_str()]);
}

/// The clock every script shares (the prelude's `now_ms`) turns Redis `TIME` into milliseconds as a number and
/// as text without formatting a number (Redis formats a Lua number slowly): the two must agree,
/// for microseconds of every length, and match the server's real clock.
#[tokio::test]
async fn the_script_clock_gives_the_same_milliseconds_as_number_and_as_text() {
    let redis = RedisServer::start();
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let prelude = relay_shared::store::LUA_PRELUDE;
    // TIME answered by the test: seconds and microseconds as Redis sends them (no leading zeros).
    let stubbed = format!(
        "local redis = {{call = function() return {{ARGV[1], ARGV[2]}} end}}\n{prelude}\n\
         local ms, text = now_ms()\nreturn {{ms, text}}"
    );
    for (micros, expected) in [
        ("0", 1_733_140_000_000_i64),
        ("7", 1_733_140_000_000),
        ("5123", 1_733_140_000_005),
        ("99999", 1_733_140_000_099),
        ("123456", 1_733_140_000_123),
        ("999999", 1_733_140_000_999),
    ] {
        let (ms, text): (i64, String) = redis::Script::new(&stubbed)
            .arg("1733140000")
            .arg(micros)
            .invoke_async(&mut conn)
            .await
            .unwrap();
        assert_eq!(
            (ms, text.as_str()),
            (expected, expected.to_string().as_str())
        );
    }

    let real =
        format!("{prelude}\nlocal ms, text = now_ms()\nreturn {{ms, text, int_text(ms + 30000)}}");
    let (before, _): (i64, i64) = redis::cmd("TIME").query_async(&mut conn).await.unwrap();
    let (ms, text, later): (i64, String, String) = redis::Script::new(&real)
        .invoke_async(&mut conn)
        .await
        .unwrap();
    let (after, _): (i64, i64) = redis::cmd("TIME").query_async(&mut conn).await.unwrap();
    assert_eq!(text, ms.to_string());
    assert_eq!(later, (ms + 30_000).to_string());
    assert!(
        (before * 1000..(after + 1) * 1000).contains(&ms),
        "{ms} not within the server's TIME"
    );
}
