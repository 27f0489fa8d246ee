//! The Veo adapter (the Gemini API) against the simulator's contract of it
//! (`docs/providers/veo.md`): an operation made there through the seam and its video downloaded
//! with the key across the API's redirect, a safety block with no samples as moderation, the
//! input refused, Google's error shapes read as the seam's classes — and a redirect out of the
//! provider's origin followed without the key.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use e2e::Stack;
use relay_shared::provider::veo::VeoOperations;
use relay_shared::provider::{FailureClass, HttpAdapter, Lifecycle, VideoProvider};

use crate::provider_contracts::{faults_read_as_classes, final_state, request, root};

fn veo_at(base: &str, key: &str) -> VeoOperations {
    VeoOperations::new(base, key.to_owned().into(), Duration::from_secs(5)).unwrap()
}

#[tokio::test]
async fn veo_through_the_seam() {
    let stack = Stack::start(Stack::quick_sim(), &[]).await;
    let base = format!("{}/veo/v1beta", root(&stack));
    let veo = veo_at(&base, "sk-sim");
    let model = "veo-3.1-generate-preview";
    let good = request("a red fox", model, Some(8));
    let created = veo.create(&good).await.unwrap();
    assert!(
        created
            .id
            .starts_with("models/veo-3.1-generate-preview/operations/"),
        "{}",
        created.id
    );
    let Lifecycle::Succeeded {
        outputs,
        expires_at,
    } = final_state(&veo, &created.id).await
    else {
        panic!("not completed");
    };
    assert!(
        outputs[0].url.contains(":download?alt=media"),
        "{outputs:?}"
    );
    assert!(expires_at.is_some(), "kept two days");
    // The URI needs the key; the API answers with a redirect to the file.
    let file = veo.download(&outputs[0].url, None).await.unwrap();
    assert!(file.status().is_success(), "{}", file.status());
    assert!(!file.bytes().await.unwrap().is_empty());

    let blocked = veo
        .create(&request("sim:moderation a famous face", model, None))
        .await
        .unwrap();
    match final_state(&veo, &blocked.id).await {
        Lifecycle::Failed { class, message } => {
            assert_eq!(class, FailureClass::Moderation);
            assert!(message.contains("safety filters"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let failed = veo.create(&request("sim:fail", model, None)).await.unwrap();
    assert!(matches!(
        final_state(&veo, &failed.id).await,
        Lifecycle::Failed {
            class: FailureClass::Provider,
            ..
        }
    ));
    let bad = veo
        .create(&request("a fox", model, Some(5)))
        .await
        .unwrap_err();
    assert_eq!(bad.class(), FailureClass::InvalidInput, "{bad}");
    assert!(bad.to_string().contains("durationSeconds"), "{bad}");
    let mut vertex_only = request("a fox", model, None);
    vertex_only
        .extra
        .insert("seed".into(), serde_json::json!(1));
    assert_eq!(
        veo.create(&vertex_only).await.unwrap_err().class(),
        FailureClass::InvalidInput
    );

    faults_read_as_classes(&stack, &veo, &good).await;
    // Google refuses a wrong key with a 400 API_KEY_INVALID: our credentials all the same.
    let wrong_key = veo_at(&base, "sk-wrong")
        .retrieve(&created.id)
        .await
        .unwrap_err();
    assert_eq!(wrong_key.class(), FailureClass::Auth, "{wrong_key}");
}

/// A provider whose download redirects to another origin: the key must not follow.
#[tokio::test]
async fn a_redirect_out_of_the_providers_origin_never_carries_the_key() {
    let keyed_requests = Arc::new(AtomicUsize::new(0));
    let elsewhere = {
        let keyed = keyed_requests.clone();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            let keyed = keyed.clone();
            App::new().default_service(web::to(move |request: HttpRequest| {
                if request.headers().contains_key("x-goog-api-key") {
                    keyed.fetch_add(1, Ordering::SeqCst);
                }
                async { HttpResponse::Ok().body("video") }
            }))
        })
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        format!("http://127.0.0.1:{port}")
    };
    let target = format!("{elsewhere}/file.mp4");
    let provider = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new(move || {
            let target = target.clone();
            App::new().default_service(web::to(move || {
                let target = target.clone();
                async move {
                    HttpResponse::Found()
                        .insert_header(("location", target))
                        .finish()
                }
            }))
        })
        .listen(listener)
        .unwrap()
        .run();
        tokio::spawn(server);
        format!("http://127.0.0.1:{port}/v1beta")
    };
    let veo = veo_at(&provider, "the-key");
    let refused = veo
        .download(&format!("{provider}/files/x:download?alt=media"), None)
        .await
        .unwrap_err();
    // The other origin is plain http on loopback: refused before any request, and never keyed.
    assert!(refused.to_string().contains("https"), "{refused}");
    assert_eq!(keyed_requests.load(Ordering::SeqCst), 0);
}
