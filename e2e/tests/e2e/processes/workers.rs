//! Worker processes: sharing the load, stopping on SIGTERM.

use super::*;

#[tokio::test]
async fn two_worker_processes_share_the_load_and_submit_each_job_once() {
    // Idle waits longer than the Redis client's default 500 ms reply timeout: blocking waits must
    // not be mistaken for a broken connection.
    let deployment = deploy(&[
        ("WORKER_CONCURRENCY", "4"),
        ("SIM_LATENCY_MS", "30"),
        ("WORKER_IDLE_MAX_MS", "2000"),
    ])
    .await;
    let workers = [
        Process::spawn("relay-worker", &[], &deployment.env),
        Process::spawn("relay-worker", &[], &deployment.env),
    ];
    let mut ids = Vec::new();
    for n in 0..40 {
        ids.push(submit(&deployment.api, &format!("shared job {n}")).await);
    }
    let all = deployment
        .receiver
        .wait_for_final(&ids, Duration::from_secs(60))
        .await;
    assert!(all.iter().all(|r| r.signature_ok), "every webhook verifies");
    let finals = all.iter().filter(|r| r.status() == "completed").count();
    assert_eq!(finals, 40, "exactly one completed webhook per job");

    let sim: Value = reqwest::get(format!("{}/sim/stats", deployment.sim))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sim["creates"], 40);
    assert!(
        sim["createsByPrompt"]
            .as_object()
            .unwrap()
            .values()
            .all(|n| n == 1),
        "{sim}"
    );

    let submitted: Vec<usize> = workers
        .iter()
        .map(|w| w.count_lines("Submitted to provider"))
        .collect();
    let polled: Vec<usize> = workers.iter().map(|w| w.count_lines("Polling")).collect();
    println!("submissions per worker: {submitted:?}; poll rounds per worker: {polled:?}");
    assert_eq!(submitted.iter().sum::<usize>(), 40);
    assert!(
        polled.iter().all(|&n| n > 0),
        "both workers polled: {polled:?}"
    );
    assert!(workers[0].count_lines("polling service started") == 1);
    for worker in &workers {
        assert_eq!(
            worker.count_lines("redis unavailable"),
            0,
            "{:#?}",
            worker.output()
        );
    }
}

#[tokio::test]
async fn a_worker_stops_cleanly_on_sigterm() {
    let deployment = deploy(&[]).await;
    let mut worker = Process::spawn("relay-worker", &[], &deployment.env);
    let id = submit(&deployment.api, "before the stop").await;
    deployment
        .receiver
        .wait_for_final(&[id], Duration::from_secs(20))
        .await;
    assert_eq!(worker.terminate(), Some(0), "{:#?}", worker.output());
    let mut api = deployment.api_process;
    assert_eq!(api.terminate(), Some(0), "{:#?}", api.output());
}

/// A worker whose log output goes nowhere (a log shipper that died: stdout and stderr a closed
/// pipe) must still stop on SIGTERM. It used to hang: reporting the failed log write panicked the
/// task that handles the signal.
#[tokio::test]
async fn a_worker_whose_log_pipe_is_closed_still_stops_on_sigterm() {
    let redis = e2e::stack::Redis::Single(RedisServer::start());
    let env = test_env(&redis, "http://127.0.0.1:9/v1", "");
    let mut worker = std::process::Command::new(e2e::processes::binary("relay-worker"))
        .envs(&env)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("relay-worker starts");
    drop(worker.stdout.take());
    drop(worker.stderr.take());
    // Idle and running: blocked on its wake list.
    let e2e::stack::Redis::Single(server) = &redis else {
        unreachable!()
    };
    let port = server.port.to_string();
    eventually(
        Duration::from_secs(10),
        "the worker to wait for work",
        || {
            let clients = std::process::Command::new("redis-cli")
                .args(["-p", &port, "CLIENT", "LIST"])
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default();
            async move { clients.contains("cmd=blpop").then_some(()) }
        },
    )
    .await;
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status();
    let exited = eventually(Duration::from_secs(10), "the worker to exit", || {
        let status = worker.try_wait().ok().flatten();
        async move { status }
    })
    .await;
    assert_eq!(exited.code(), Some(0));
}
