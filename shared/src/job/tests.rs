use super::*;

#[test]
fn statuses_round_trip_and_know_which_are_final() {
    for status in JobStatus::ALL {
        assert_eq!(status.as_str().parse::<JobStatus>().unwrap(), status);
    }
    assert!(!JobStatus::Queued.is_terminal());
    assert!(!JobStatus::Processing.is_terminal());
    assert!(JobStatus::Timeout.is_terminal());
    assert!("generating".parse::<JobStatus>().is_err());
}

#[test]
fn a_job_stored_before_the_state_field_reads_as_before() {
    let job = Job {
        id: "j".into(),
        fields: HashMap::from([
            ("status".into(), "processing".into()),
            ("progress".into(), "40".into()),
            ("sora_id".into(), "video_1".into()),
            ("created".into(), "1706176800000".into()),
        ]),
    };
    let view = job.view();
    assert_eq!(
        (view.status, view.progress, view.provider_job_id.as_deref()),
        (JobStatus::Processing, 40, Some("video_1"))
    );
    assert_eq!(view.created_at.as_deref(), Some("2024-01-25T10:00:00.000Z"));
    let values: Vec<Option<String>> = ["completed", "100", "", "7", "900", "https://x", ""]
        .iter()
        .map(|v| Some(v.to_string()))
        .collect();
    let state = PollState::from_legacy(&values).unwrap();
    assert_eq!(
        (
            state.status,
            state.provider_job,
            state.interval_ms,
            state.own_webhook
        ),
        (JobStatus::Completed, None, Some(900), true)
    );
    assert_eq!(PollState::from_legacy(&[None, Some("5".into())]), None);
}

#[test]
fn the_view_shows_every_key_even_when_empty() {
    let job = Job {
        id: "j".into(),
        fields: HashMap::from([
            ("state".into(), "queued 0 1733130000000 - - 0 ".into()),
            ("wallet".into(), "w".into()),
        ]),
    };
    let view = serde_json::to_value(job.view()).unwrap();
    for key in [
        "jobId",
        "soraJobId",
        "status",
        "progress",
        "videoUrl",
        "contentExpiresAt",
        "error",
        "walletAddress",
        "renderVersion",
        "model",
        "seconds",
        "size",
        "createdAt",
        "updatedAt",
        "submission",
        "provider",
    ] {
        assert!(view.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn a_job_names_its_provider_unless_it_is_openai() {
    let field_names =
        |job: &NewJob| -> Vec<&str> { job.to_fields().iter().map(|(k, _)| *k).collect() };
    let openai = NewJob::new("w", "a fox");
    assert!(!field_names(&openai).contains(&field::PROVIDER));
    let fal = NewJob {
        provider: "fal".into(),
        ..NewJob::new("w", "a fox")
    };
    let fields = fal.to_fields();
    assert!(fields.contains(&(field::PROVIDER, "fal")), "{fields:?}");
}
