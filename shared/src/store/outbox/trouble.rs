//! What is going wrong with deliveries now, for the dashboard's Deliveries view: the newest dead
//! letters (a page of each partition's dead-letter set — or of a tenant's own index of its dead
//! letters — newest first: one `ZREVRANGE` and one pipelined `HMGET` per partition, the
//! partitions at once) and the endpoints failing now (each
//! partition's `failing` hash, kept by `finish_delivery.lua`: marked by a failure, cleared by a
//! delivery, gone an hour after its latest failure).

use super::super::{Store, StoreResult};

/// One dead letter, without its URL (a capability) or body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeadLetter {
    pub job_id: String,
    pub seq: u64,
    pub died_ms: i64,
    pub created_ms: i64,
    pub attempts: u32,
    pub error: String,
    pub tenant: Option<String>,
    /// The event's JSON body (its status and progress say which step it announced).
    pub body: String,
}

/// An endpoint whose latest delivery attempt failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailingEndpoint {
    /// As logs show it: origin and a hash, never credentials or tokens.
    pub endpoint: String,
    pub since_ms: i64,
    pub last_ms: i64,
    pub failures: u64,
    pub tenant: Option<String>,
    pub error: String,
}

impl Store {
    /// The newest dead letters, every one or `tenant`'s: up to `per_partition` of each
    /// partition, newest first; and whether some partition held more. A letter whose hash has
    /// expired (its member not yet trimmed) is left out.
    pub async fn newest_dead_letters(
        &self,
        tenant: Option<&str>,
        per_partition: usize,
    ) -> StoreResult<(Vec<DeadLetter>, bool)> {
        const FIELDS: [&str; 7] = [
            "job", "seq", "died", "created", "attempts", "error", "tenant",
        ];
        let reads = (0..self.keys.partitions()).map(|partition| async move {
            let mut conn = self.conn().await?;
            let set = match tenant {
                Some(tenant) => self.keys.tenant_dead_letters(partition, tenant),
                None => self.keys.dead_letters(partition),
            };
            let members: Vec<String> = redis::cmd("ZREVRANGE")
                .arg(set)
                .arg(0)
                .arg(per_partition)
                .query_async(&mut conn)
                .await?;
            let truncated = members.len() > per_partition;
            let members = &members[..members.len().min(per_partition)];
            if members.is_empty() {
                return StoreResult::Ok((Vec::new(), truncated));
            }
            let mut pipe = redis::pipe();
            for member in members {
                let hash = format!("{}{member}", self.keys.dead_letter_prefix(partition));
                pipe.cmd("HMGET").arg(&hash).arg(&FIELDS[..]).arg("body");
            }
            let rows: Vec<Vec<Option<String>>> = pipe.query_async(&mut conn).await?;
            let letters = rows.into_iter().filter_map(|row| {
                let text = |i: usize| row.get(i).cloned().flatten();
                let number = |i: usize| text(i).and_then(|t| t.parse::<i64>().ok());
                Some(DeadLetter {
                    job_id: text(0)?,
                    seq: number(1)? as u64,
                    died_ms: number(2).unwrap_or(0),
                    created_ms: number(3).unwrap_or(0),
                    attempts: number(4).unwrap_or(0) as u32,
                    error: text(5).unwrap_or_default(),
                    tenant: text(6),
                    body: text(7).unwrap_or_default(),
                })
            });
            StoreResult::Ok((letters.collect(), truncated))
        });
        let mut all = Vec::new();
        let mut truncated = false;
        for (letters, more) in futures_util::future::try_join_all(reads).await? {
            all.extend(letters);
            truncated |= more;
        }
        all.sort_by_key(|letter| std::cmp::Reverse(letter.died_ms));
        Ok((all, truncated))
    }

    /// The endpoints failing now, the longest failing first.
    pub async fn failing_endpoints(&self) -> StoreResult<Vec<FailingEndpoint>> {
        let reads = (0..self.keys.partitions()).map(|partition| async move {
            let mut conn = self.conn().await?;
            let found: Vec<(String, String)> = redis::cmd("HGETALL")
                .arg(self.keys.failing_endpoints(partition))
                .query_async(&mut conn)
                .await?;
            StoreResult::Ok(found)
        });
        let mut merged: Vec<FailingEndpoint> = Vec::new();
        for found in futures_util::future::try_join_all(reads).await? {
            for (endpoint, value) in found {
                let Some(seen) = parse_failing(endpoint, &value) else {
                    continue;
                };
                // One endpoint may fail in several partitions: one row, its whole streak.
                match merged.iter_mut().find(|m| m.endpoint == seen.endpoint) {
                    Some(m) => {
                        m.failures += seen.failures;
                        m.since_ms = m.since_ms.min(seen.since_ms);
                        if seen.last_ms > m.last_ms {
                            (m.last_ms, m.error) = (seen.last_ms, seen.error);
                        }
                    }
                    None => merged.push(seen),
                }
            }
        }
        merged.sort_by_key(|m| m.since_ms);
        Ok(merged)
    }
}

fn parse_failing(endpoint: String, value: &str) -> Option<FailingEndpoint> {
    let mut words = value.splitn(5, ' ');
    let since_ms = words.next()?.parse().ok()?;
    let last_ms = words.next()?.parse().ok()?;
    let failures = words.next()?.parse().ok()?;
    let tenant = words.next()?;
    Some(FailingEndpoint {
        endpoint,
        since_ms,
        last_ms,
        failures,
        tenant: (tenant != "-").then(|| tenant.to_owned()),
        error: words.next().unwrap_or("").to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failing_endpoint_reads_back() {
        let seen = parse_failing(
            "https://hooks.example#ab12".into(),
            "10 20 3 ten_1 answered 503",
        )
        .unwrap();
        assert_eq!((seen.since_ms, seen.last_ms, seen.failures), (10, 20, 3));
        assert_eq!(seen.tenant.as_deref(), Some("ten_1"));
        assert_eq!(seen.error, "answered 503");
        let operators = parse_failing("x".into(), "10 20 1 - timed out").unwrap();
        assert_eq!(operators.tenant, None);
        assert!(parse_failing("x".into(), "garbage").is_none());
    }
}
