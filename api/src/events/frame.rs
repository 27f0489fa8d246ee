//! Server-Sent Events on the wire (<https://html.spec.whatwg.org/multipage/server-sent-events.html>):
//! frames, and the streaming response a producer task writes them into.

use std::future::Future;
use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::HttpResponse;
use tokio::sync::mpsc;

/// How long a client waits before reconnecting after the stream ends or breaks (`retry:`).
const RECONNECT_MS: u64 = 2000;

/// An event frame: its id, its type (none: the default `message`) and its data, one `data:` line
/// per line of it.
pub fn event(id: &str, kind: Option<&str>, data: &str) -> Bytes {
    let mut frame = String::with_capacity(data.len() + id.len() + 32);
    frame.push_str("id: ");
    frame.push_str(id);
    frame.push('\n');
    if let Some(kind) = kind {
        frame.push_str("event: ");
        frame.push_str(kind);
        frame.push('\n');
    }
    for line in data.split('\n') {
        frame.push_str("data: ");
        frame.push_str(line.strip_suffix('\r').unwrap_or(line));
        frame.push('\n');
    }
    frame.push('\n');
    Bytes::from(frame)
}

/// A comment line: keeps an idle connection open through proxies; clients ignore it.
pub fn heartbeat() -> Bytes {
    Bytes::from_static(b": heartbeat\n\n")
}

/// Where a producer writes its frames; `false` from [`Frames::send`] means the client is gone.
pub struct Frames {
    out: mpsc::Sender<Bytes>,
    pub heartbeat: Duration,
}

impl Frames {
    pub async fn send(&self, frame: Bytes) -> bool {
        self.out.send(frame).await.is_ok()
    }

    /// Resolves when the client has gone (the response was dropped).
    pub async fn closed(&self) {
        self.out.closed().await
    }
}

/// The `text/event-stream` response whose frames `produce` writes, run as a task of its own that
/// ends when it returns or the client goes.
pub fn stream<F, Fut>(heartbeat: Duration, produce: F) -> HttpResponse
where
    F: FnOnce(Frames) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let (out, frames) = mpsc::channel::<Bytes>(64);
    let first = Bytes::from(format!("retry: {RECONNECT_MS}\n\n"));
    actix_web::rt::spawn(async move {
        if out.send(first).await.is_ok() {
            produce(Frames { out, heartbeat }).await;
        }
    });
    let body = futures_util::stream::unfold(frames, |mut frames| async move {
        let frame = frames.recv().await?;
        Some((Ok::<_, actix_web::Error>(frame), frames))
    });
    HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        // nginx and its kin buffer responses unless told not to.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_put_each_line_of_data_on_its_own_data_line() {
        assert_eq!(
            event("7", None, "{\"a\":1}"),
            Bytes::from("id: 7\ndata: {\"a\":1}\n\n")
        );
        assert_eq!(
            event("x", Some("gap"), "one\r\ntwo"),
            Bytes::from("id: x\nevent: gap\ndata: one\ndata: two\n\n")
        );
    }
}
