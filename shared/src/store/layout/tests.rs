use super::*;

#[test]
fn every_key_of_a_partition_shares_its_hash_tag() {
    let ks = Keyspace::new("relay", 16);
    let id = new_job_id();
    let p = ks.partition_of(&id).unwrap();
    let tag = format!("{{p{p}}}");
    for key in [
        ks.job(p, &id),
        ks.schedule(p),
        ks.stats(p),
        ks.deliveries(p),
        ks.outbox_prefix(p),
        ks.dead_letters(p),
        ks.dead_letter_prefix(p),
        Keyspace::minute_of(&ks.stats(p), 29_000_000),
    ] {
        assert!(key.contains(&tag), "{key}");
    }
}

#[test]
fn ids_spread_over_all_partitions() {
    let ks = Keyspace::new("relay", 16);
    let mut seen = [0u32; 16];
    for _ in 0..4000 {
        seen[ks.partition_of(&new_job_id()).unwrap() as usize] += 1;
    }
    assert!(seen.iter().all(|&n| n > 150), "{seen:?}");
}

#[test]
fn an_idempotency_key_and_its_job_share_a_partition() {
    let ks = Keyspace::new("relay", 16);
    for n in 0..200 {
        let key = format!("order-{n}");
        let p = ks.idempotency_partition("ten_1", &key);
        let id = ks.new_job_id_in(p);
        assert_eq!(ks.partition_of(&id), Some(p));
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
        assert!(ks.idempotency("ten_1", &key).contains(&format!("{{p{p}}}")));
    }
}

#[test]
fn foreign_ids_have_no_partition() {
    let ks = Keyspace::new("relay", 16);
    assert_eq!(ks.partition_of("job-123"), None);
    assert_eq!(ks.partition_of("../../etc"), None);
    let upper = new_job_id().to_uppercase();
    assert_eq!(ks.partition_of(&upper), None);
}
