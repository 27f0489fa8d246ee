//! Prometheus metrics: a real Prometheus scraping the API and worker processes, the deployment's
//! scrape config and alert rules checked by promtool, and the queue gauges read from Redis.

mod prometheus;
mod queues;
