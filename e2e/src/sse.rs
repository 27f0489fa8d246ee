//! A Server-Sent Events client for the tests: reads the frames of a `text/event-stream` response
//! as they come, comments (heartbeats) included.

use std::time::Duration;

/// One frame: an event (`id`, `event`, `data`) or a comment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
    /// The text of a comment line (`: heartbeat`); the other fields are then empty.
    pub comment: Option<String>,
}

pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
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
            response,
            buffer: String::new(),
        })
    }

    /// The next frame (`retry:` lines are skipped); `None` when the stream ended or broke.
    pub async fn next(&mut self) -> Option<Frame> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(frame) = parse(&block) {
                    return Some(frame);
                }
                continue;
            }
            match self.response.chunk().await {
                Ok(Some(bytes)) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
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
            while let Some(frame) = self.next().await {
                if frame.comment.is_none() {
                    frames.push(frame);
                }
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

fn parse(block: &str) -> Option<Frame> {
    let mut frame = Frame::default();
    let mut data = Vec::new();
    let mut any = false;
    for line in block.lines() {
        if let Some(comment) = line.strip_prefix(':') {
            frame.comment = Some(comment.trim().to_owned());
            any = true;
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => frame.id = Some(value.to_owned()),
            "event" => frame.event = Some(value.to_owned()),
            "data" => data.push(value.to_owned()),
            _ => continue,
        }
        any = true;
    }
    frame.data = data.join("\n");
    any.then_some(frame)
}
