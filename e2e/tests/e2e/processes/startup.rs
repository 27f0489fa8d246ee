//! Start-up: bad settings and unsafe access rules stop a process with a message naming them.

use super::*;

#[test]
fn a_bad_setting_stops_start_up_with_a_message_naming_it() {
    let env: HashMap<String, String> = [("PORT", "not-a-port"), ("PATH", "/usr/bin:/bin")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    for binary in ["relay-api", "relay-worker"] {
        let mut process = Process::spawn(binary, &[], &env);
        assert_eq!(process.wait(), Some(1), "{binary}");
        let output = process.output().join("\n");
        assert!(
            output.contains("invalid configuration") && output.contains("port"),
            "{binary}: {output}"
        );
    }
    let env: HashMap<String, String> = [("POLL_INITIAL_INTERVAL_MS", "0")]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let mut process = Process::spawn("relay-worker", &[], &env);
    assert_eq!(process.wait(), Some(1));
    assert!(process
        .output()
        .join("\n")
        .contains("poll_initial_interval_ms"));
}

#[test]
fn the_api_refuses_to_start_open_to_the_network_or_closed_without_an_admin_key() {
    let cases = [
        (vec![("AUTH", "off"), ("HOST", "0.0.0.0")], "HOST=127.0.0.1"),
        (vec![("AUTH", "on")], "ADMIN_API_KEY"),
    ];
    for (vars, reason) in cases {
        let mut env: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        env.insert("PORT".into(), e2e::free_port().to_string());
        let mut api = Process::spawn("relay-api", &[], &env);
        assert_eq!(api.wait(), Some(1), "{vars:?}");
        let output = api.output().join("\n");
        assert!(output.contains(reason), "{vars:?}: {output}");
    }
}

#[test]
fn both_processes_refuse_a_default_provider_that_is_not_enabled_and_name_those_that_are() {
    let env: HashMap<String, String> = [
        ("PROVIDER", "fal"),
        ("OPENAI_API_KEY", "sk-sim"),
        ("REPLICATE_API_TOKEN", "r8-sim"),
        ("AUTH", "off"),
        ("HOST", "127.0.0.1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .chain([("PORT".to_owned(), e2e::free_port().to_string())])
    .collect();
    for binary in ["relay-api", "relay-worker"] {
        let mut process = Process::spawn(binary, &[], &env);
        assert_eq!(process.wait(), Some(1), "{binary}");
        let output = process.output().join("\n");
        assert!(
            output.contains("PROVIDER=fal is not enabled")
                && output.contains("FAL_KEY")
                && output.contains("enabled: openai, replicate"),
            "{binary}: {output}"
        );
    }
}
