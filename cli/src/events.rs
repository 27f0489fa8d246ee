//! Server-Sent Events read from the relay's event streams
//! (<https://html.spec.whatwg.org/multipage/server-sent-events.html>): one frame at a time as it
//! arrives, comments (heartbeats) included; `retry:` lines are skipped.

use futures_util::StreamExt;
use reqwest::Response;

/// One frame: an event (`id`, `event`, `data`) or a comment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frame {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
    /// The text of a comment line (`: heartbeat`); the other fields are then empty.
    pub comment: Option<String>,
}

impl Frame {
    /// An event, not a comment.
    pub fn is_event(&self) -> bool {
        self.comment.is_none()
    }
}

pub struct EventStream {
    body: futures_util::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

impl EventStream {
    pub fn new(response: Response) -> Self {
        Self {
            body: response.bytes_stream().boxed(),
            buffer: String::new(),
        }
    }

    /// The next frame, event or comment; `None` when the stream ended or broke.
    pub async fn next_frame(&mut self) -> Option<Frame> {
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if let Some(frame) = parse(&block) {
                    return Some(frame);
                }
            }
            match self.body.next().await {
                Some(Ok(bytes)) => self.buffer.push_str(&String::from_utf8_lossy(&bytes)),
                _ => return None,
            }
        }
    }
}

fn parse(block: &str) -> Option<Frame> {
    let mut frame = Frame::default();
    let mut data: Vec<&str> = Vec::new();
    for line in block.lines() {
        if let Some(comment) = line.strip_prefix(':') {
            frame.comment = Some(comment.trim().to_owned());
            return Some(frame);
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "id" => frame.id = Some(value.to_owned()),
            "event" => frame.event = Some(value.to_owned()),
            "data" => data.push(value),
            _ => {}
        }
    }
    if data.is_empty() {
        return None;
    }
    frame.data = data.join("\n");
    Some(frame)
}

impl EventStream {
    /// The next event, comments skipped; `None` when the stream ended or broke.
    pub async fn next(&mut self) -> Option<Frame> {
        loop {
            let frame = self.next_frame().await?;
            if frame.is_event() {
                return Some(frame);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_comments_and_retry_lines_read_as_the_spec_says() {
        let event = parse("id: 7\nevent: gap\ndata: one\ndata: two\n\n").unwrap();
        assert_eq!(
            (
                event.id.as_deref(),
                event.event.as_deref(),
                event.data.as_str()
            ),
            (Some("7"), Some("gap"), "one\ntwo")
        );
        assert_eq!(
            parse(": heartbeat\n\n").unwrap().comment.as_deref(),
            Some("heartbeat")
        );
        assert_eq!(parse("retry: 2000\n\n"), None);
        assert_eq!(parse("data:no-space\n\n").unwrap().data, "no-space");
    }
}
