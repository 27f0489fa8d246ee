//! Where a routed job has been: one [`Attempt`] per target it left (stored on the job as a JSON
//! list, `attempts`, written only when it moves), and the target it is at now, which the status
//! view adds from the job's own fields.

use serde::{Deserialize, Serialize};

use crate::config::Target;

/// One target a job was at, and what became of it there.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub provider: String,
    pub model: String,
    /// The provider's id for the video, when it had accepted the job.
    pub provider_job_id: Option<String>,
    /// Why the job left (`quota`, `retired`, `auth`, `circuit_open`, `provider_down`,
    /// `provider_failed`), or for the target it is at now, the job's status there.
    pub outcome: String,
    /// What the provider said, when the job left it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Attempt {
    pub fn target(&self) -> Target {
        Target::new(&self.provider, &self.model)
    }

    /// The stored list (the `attempts` field); an unreadable one reads as empty.
    pub fn decode_all(text: &str) -> Vec<Attempt> {
        serde_json::from_str(text).unwrap_or_default()
    }

    pub fn encode_all(attempts: &[Attempt]) -> String {
        serde_json::to_string(attempts).expect("attempts always serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_round_trip_in_the_view_shape() {
        let left = Attempt {
            provider: "fal".into(),
            model: "fal-ai/kling-video/v2.1".into(),
            provider_job_id: None,
            outcome: "quota".into(),
            error: Some("provider quota exhausted: no credit".into()),
        };
        let text = Attempt::encode_all(std::slice::from_ref(&left));
        assert_eq!(
            text,
            r#"[{"provider":"fal","model":"fal-ai/kling-video/v2.1","providerJobId":null,"outcome":"quota","error":"provider quota exhausted: no credit"}]"#
        );
        assert_eq!(Attempt::decode_all(&text), vec![left]);
        assert!(Attempt::decode_all("not json").is_empty());
    }
}
