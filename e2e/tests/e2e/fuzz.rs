//! The API fuzzed from its own OpenAPI document by schemathesis: generated requests (valid and
//! invalid), unsupported methods and stateful sequences, as the administrator. Passes only with
//! zero 5xx and every response conforming to the document (status, content type, headers, body).
//! Needs schemathesis in `.run/fuzz-venv` (scripts/test installs it) or `st` on the PATH.

use std::path::Path;
use std::process::Command;

use e2e::access::ADMIN;
use e2e::Stack;

fn schemathesis() -> String {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.run/fuzz-venv/bin/st");
    if venv.exists() {
        return venv.to_string_lossy().into_owned();
    }
    "st".to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn fuzzing_from_the_openapi_document_finds_no_5xx_and_no_response_off_the_schema() {
    // Every provider enabled: their callback endpoints verify what the fuzzer sends.
    // With custody on, so that the content routes' signed links and ranges are fuzzed too.
    let content = tempfile::tempdir().unwrap();
    let stack = Stack::start_all_providers(
        Stack::quick_sim(),
        &[
            ("AUTH", "on"),
            ("ADMIN_API_KEY", ADMIN),
            ("CONTENT_STORE", content.path().to_str().unwrap()),
            ("CONTENT_LINK_SECRET", "fuzzed-link-key"),
        ],
    )
    .await;
    let document = format!("{}/api/openapi.json", stack.api);
    let run = tokio::task::spawn_blocking(move || {
        Command::new(schemathesis())
            .args(["run", &document, "--max-examples", "50", "--seed", "1"])
            .args(["-H", &format!("Authorization: Bearer {ADMIN}")])
            // The event streams never end of themselves (an answer the fuzzer would wait on
            // forever); their refusals are tested in events/job_stream.rs.
            .args(["--exclude-path-regex", "/events$"])
            .args([
                "-c",
                "not_a_server_error",
                "-c",
                "status_code_conformance",
                "-c",
                "content_type_conformance",
                "-c",
                "response_schema_conformance",
                "-c",
                "response_headers_conformance",
                "-c",
                "unsupported_method",
            ])
            .env("NO_COLOR", "1")
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "could not run schemathesis ({e}); scripts/test installs it in .run/fuzz-venv"
                )
            })
    })
    .await
    .unwrap();
    let output = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "schemathesis found failures:\n{output}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(output.contains("Fuzzing"), "{output}");
}
