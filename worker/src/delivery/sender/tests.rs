use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

fn sender() -> WebhookSender {
    WebhookSender::new("secret", "127.0.0.0/8", Duration::from_secs(5)).unwrap()
}

/// #15.9: a lookup that fails is retried; only an address refused by policy is final.
#[tokio::test]
async fn a_failed_lookup_is_retried_and_only_a_refused_address_is_final() {
    let sender = sender();
    let unresolved = sender
        .send(
            Destination::Client("https://no-such-host.invalid/hook"),
            None,
            "j",
            1,
            "{}",
        )
        .await
        .unwrap_err();
    assert!(!unresolved.refused, "{unresolved:?}");
    let strict = WebhookSender::new("secret", "", Duration::from_secs(5)).unwrap();
    let refused = strict
        .send(
            Destination::Client("https://127.0.0.1/hook"),
            None,
            "j",
            1,
            "{}",
        )
        .await
        .unwrap_err();
    assert!(refused.refused, "{refused:?}");
}

/// Answers every connection with a 200 and counts them.
async fn answering_server() -> (String, tokio::task::JoinHandle<usize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let served = tokio::spawn(async move {
        let mut count = 0;
        while let Ok(Ok((mut stream, _))) =
            tokio::time::timeout(Duration::from_millis(500), listener.accept()).await
        {
            count += 1;
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer).await;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
        }
        count
    });
    (format!("http://{address}"), served)
}

/// #15.10: proxy variables in the environment never carry a client's webhook past the guard.
#[tokio::test]
async fn the_guarded_client_ignores_proxy_variables() {
    let (proxy, proxied) = answering_server().await;
    let (target, reached) = answering_server().await;
    for name in [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "all_proxy",
    ] {
        std::env::set_var(name, &proxy);
    }
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    let sent = sender()
        .send(
            Destination::Client(&format!("{target}/hook")),
            None,
            "j",
            1,
            "{}",
        )
        .await;
    assert!(sent.is_ok(), "{sent:?}");
    assert_eq!(proxied.await.unwrap(), 0, "the proxy was used");
    assert_eq!(reached.await.unwrap(), 1);
}
