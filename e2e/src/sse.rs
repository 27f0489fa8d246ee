//! A Server-Sent Events client for the tests: relayctl's reader (`relayctl::events`) over a
//! request the tests shape themselves (key, `Last-Event-ID`), refusals returned as status and body.

use std::time::Duration;

pub use relayctl::events::Frame;

pub struct EventStream {
    inner: relayctl::events::EventStream,
}

impl EventStream {
    /// Opens `url` with the key and the resume point given: the stream, or the refusal's status
    /// and body.
    pub async fn open(
        url: &str,
        key: Option<&str>,
        last_event_id: Option<&str>,
    ) -> Result<Self, (u16, String)> {
        let mut request = reqwest::Client::new()
            .get(url)
            .header("accept", "text/event-stream");
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.map_err(|e| (0, e.to_string()))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err((status, response.text().await.unwrap_or_default()));
        }
        let kind = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        Ok(Self {
            inner: relayctl::events::EventStream::new(response),
        })
    }

    /// The next frame, comments (heartbeats) included; `None` when the stream ended or broke.
    pub async fn next(&mut self) -> Option<Frame> {
        self.inner.next_frame().await
    }

    /// The next frame within `limit`; `None` when the stream ended, broke or stayed silent.
    pub async fn next_within(&mut self, limit: Duration) -> Option<Frame> {
        tokio::time::timeout(limit, self.next())
            .await
            .ok()
            .flatten()
    }

    /// Every event frame (comments left out) until the stream ends.
    pub async fn events_until_end(&mut self, limit: Duration) -> Vec<Frame> {
        let mut frames = Vec::new();
        let read = tokio::time::timeout(limit, async {
            while let Some(frame) = self.inner.next().await {
                frames.push(frame);
            }
        })
        .await;
        assert!(
            read.is_ok(),
            "the stream did not end within {limit:?}: {frames:?}"
        );
        frames
    }
}
