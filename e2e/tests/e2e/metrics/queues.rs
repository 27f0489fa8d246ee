//! The queue gauges and the claim lateness, read against a real redis-server: what is due, how
//! long it waited, and that a claimed item stops counting as due.

use std::collections::HashMap;
use std::time::Duration;

use e2e::RedisServer;
use relay_shared::job::NewJob;
use relay_shared::store::layout::new_job_id;
use relay_shared::store::{ClaimFields, Queue, Store};
use relay_shared::Settings;

fn store(redis: &RedisServer) -> Store {
    let env: HashMap<String, String> = [("REDIS_URL", redis.url()), ("JOB_PARTITIONS", "2".into())]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    Store::connect(&Settings::from_sources(None, &env).unwrap()).unwrap()
}

#[tokio::test]
async fn queue_depths_count_what_is_due_and_how_long_it_waited_and_claims_say_how_late() {
    let redis = RedisServer::start();
    let store = store(&redis);
    let empty = store
        .queue_depths(&[Queue::Jobs, Queue::Deliveries])
        .await
        .unwrap();
    assert_eq!(empty.len(), 4, "two queues in each of two partitions");
    assert!(empty
        .iter()
        .all(|d| (d.items, d.due, d.oldest_due) == (0, 0, Duration::ZERO)));

    let mut partition_of = HashMap::new();
    for n in 0..6 {
        let id = new_job_id();
        store
            .create_job(&id, &NewJob::new("w", &format!("job {n}")))
            .await
            .unwrap();
        *partition_of
            .entry(store.keys().partition_of(&id).unwrap())
            .or_insert(0u64) += 1;
    }
    let waited = Duration::from_millis(300);
    tokio::time::sleep(waited).await;
    let depths = store.queue_depths(&[Queue::Jobs]).await.unwrap();
    for depth in &depths {
        let created = partition_of.get(&depth.partition).copied().unwrap_or(0);
        assert_eq!((depth.items, depth.due), (created, created), "{depth:?}");
        if created > 0 {
            assert!(
                depth.oldest_due >= waited && depth.oldest_due < Duration::from_secs(10),
                "{depth:?}"
            );
        }
    }

    let (&partition, &created) = partition_of.iter().max_by_key(|(_, n)| **n).unwrap();
    let claim = store
        .claim(
            Queue::Jobs,
            partition,
            1,
            Duration::from_secs(30),
            "t.1",
            ClaimFields::new(&[]),
        )
        .await
        .unwrap();
    assert!(
        claim.items[0].late >= waited && claim.items[0].late < Duration::from_secs(10),
        "{:?}",
        claim.items[0].late
    );
    let after = store.queue_depths(&[Queue::Jobs]).await.unwrap();
    let depth = after.iter().find(|d| d.partition == partition).unwrap();
    assert_eq!(
        (depth.items, depth.due),
        (created, created - 1),
        "a claimed job stays in its queue, no longer due"
    );
}
