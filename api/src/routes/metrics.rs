//! `GET /metrics`: this process's Prometheus metrics, and the deployment's gauges read from Redis
//! as the scrape comes (`relay_shared::telemetry::metrics` lists them all). Open like the health
//! checks: it holds counts only, no job, tenant or key.

use std::time::Duration;

use actix_web::http::header::ContentType;
use actix_web::{web, HttpResponse};
use relay_shared::job::JobStatus;
use relay_shared::store::{Queue, Store};
use relay_shared::telemetry::metrics::{self, sampled};

use crate::AppState;

const METRICS: &str = "/metrics";

crate::routes::endpoints! {
    GET METRICS => render;
}

/// A scrape waits this long for Redis at most, then answers with what it has (`relay_redis_up`
/// 0): Prometheus's own scrape timeout is 10 s by default.
const SAMPLE_TIMEOUT: Duration = Duration::from_secs(3);

/// `GET /metrics`: Prometheus metrics, in the text exposition format.
#[utoipa::path(get, path = METRICS, security(()), responses((status = 200, description = "Prometheus text exposition format (version 0.0.4)", content_type = "text/plain", body = String)))]
pub async fn render(state: web::Data<AppState>) -> HttpResponse {
    let read = tokio::time::timeout(SAMPLE_TIMEOUT, sample(&state.store)).await;
    sampled::redis_up(matches!(read, Ok(Ok(()))));
    sampled::event_subscribers(state.hub.subscribers());
    if let Ok(Err(e)) = &read {
        tracing::warn!("metrics: could not read the counters and queues ({e})");
    }
    HttpResponse::Ok()
        .insert_header(ContentType(
            "text/plain; version=0.0.4; charset=utf-8"
                .parse()
                .expect("a valid media type"),
        ))
        .body(metrics::render())
}

/// Sets the deployment's gauges from Redis: the stats counters and each queue's depth.
async fn sample(store: &Store) -> relay_shared::store::StoreResult<()> {
    let (stats, depths) = futures_util::try_join!(
        store.stats(),
        store.queue_depths(&[Queue::Jobs, Queue::Deliveries])
    )?;
    for status in JobStatus::ALL {
        sampled::jobs(status.as_str(), stats.jobs(status));
    }
    sampled::submissions_unknown(stats.submissions_unknown);
    sampled::dead_letters(stats.webhook_dead_letters);
    for depth in depths {
        sampled::queue(
            depth.queue.name(),
            depth.partition,
            depth.items,
            depth.due,
            depth.oldest_due,
        );
    }
    Ok(())
}
