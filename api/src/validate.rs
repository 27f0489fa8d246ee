//! Validation of `POST /api/generate` bodies, field by field, with messages that name the field.

use relay_shared::job::NewJob;
use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorCode};

pub const SUPPORTED_RENDER_VERSIONS: &[&str] = &["v3"];
/// The lengths the OpenAI Videos API takes (`openai` jobs keep the original rule).
pub const SECONDS: &[&str] = &["4", "8", "12"];
/// The longest video any provider is asked for; each provider checks its own list.
const SECONDS_MAX: u32 = 120;
const WALLET_MAX_CHARS: usize = 256;
const MODEL_MAX_CHARS: usize = 128;
/// Largest `options` object (passed through to the provider's input), in bytes of compact JSON.
pub const OPTIONS_MAX_BYTES: usize = 16 * 1024;

pub struct Limits {
    pub script_max_chars: usize,
    pub metadata_max_bytes: usize,
    /// The enabled providers, the default first.
    pub providers: Vec<EnabledProvider>,
}

/// What a submission needs to know of an enabled provider.
pub struct EnabledProvider {
    pub name: String,
    pub default_model: String,
    /// It reports no progress: the relay estimates it.
    pub estimated_progress: bool,
}

impl Limits {
    fn provider(&self, name: Option<&str>) -> Result<&EnabledProvider, ApiError> {
        let Some(name) = name else {
            return Ok(&self.providers[0]);
        };
        self.providers
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| {
                let enabled: Vec<&str> = self.providers.iter().map(|p| p.name.as_str()).collect();
                ApiError::new(
                    ErrorCode::ProviderNotEnabled,
                    format!(
                        "provider {name:?} is not enabled here; enabled: {}",
                        enabled.join(", ")
                    ),
                )
            })
    }
}

pub fn generate_request(body: &[u8], limits: &Limits) -> Result<NewJob, ApiError> {
    let fields = crate::routes::body::json_object(body)?;

    let wallet_address = required_string(&fields, "walletAddress")?;
    if wallet_address.chars().count() > WALLET_MAX_CHARS {
        return Err(ApiError::invalid_field(format!(
            "walletAddress must be at most {WALLET_MAX_CHARS} characters"
        )));
    }
    let script = required_string(&fields, "script")?;
    let script_chars = script.chars().count();
    if script_chars > limits.script_max_chars {
        return Err(ApiError::invalid_field(format!(
            "script is {script_chars} characters; the maximum is {}",
            limits.script_max_chars
        )));
    }
    let render_version = optional_string(&fields, "renderVersion")?.unwrap_or_else(|| "v3".into());
    if !SUPPORTED_RENDER_VERSIONS.contains(&render_version.as_str()) {
        return Err(ApiError::new(
            ErrorCode::UnsupportedRenderVersion,
            format!(
                "renderVersion {render_version:?} is not supported; supported versions: {}",
                SUPPORTED_RENDER_VERSIONS.join(", ")
            ),
        ));
    }
    let provider = optional_string(&fields, "provider")?;
    let provider = limits.provider(provider.as_deref())?;
    let model = match optional_string(&fields, "model")? {
        None => provider.default_model.clone(),
        Some(model) if is_model_name(&model) => model,
        Some(_) => {
            return Err(ApiError::invalid_field(format!(
                "model must be 1 to {MODEL_MAX_CHARS} characters of letters, digits, '.', '_', ':', '/' or '-'"
            )))
        }
    };
    let seconds = seconds(&fields, &provider.name)?;
    let size = optional_string(&fields, "size")?;
    if let Some(s) = &size {
        if relay_shared::provider::Frame::parse_size(s).is_none() {
            return Err(ApiError::invalid_field(format!(
                "size must look like \"1280x720\" (width x height in pixels), not {s:?}"
            )));
        }
    }
    let metadata = match fields.get("metadata") {
        None | Some(Value::Null) => None,
        Some(object @ Value::Object(_)) => {
            let compact = object.to_string();
            if compact.len() > limits.metadata_max_bytes {
                return Err(ApiError::invalid_field(format!(
                    "metadata is {} bytes as JSON; the maximum is {}",
                    compact.len(),
                    limits.metadata_max_bytes
                )));
            }
            Some(compact)
        }
        Some(other) => {
            return Err(ApiError::invalid_field(format!(
                "metadata must be a JSON object, not {}",
                kind_of(other)
            )))
        }
    };
    let options = match fields.get("options") {
        None | Some(Value::Null) => None,
        Some(object @ Value::Object(_)) => {
            let compact = object.to_string();
            if compact.len() > OPTIONS_MAX_BYTES {
                return Err(ApiError::invalid_field(format!(
                    "options is {} bytes as JSON; the maximum is {OPTIONS_MAX_BYTES}",
                    compact.len()
                )));
            }
            Some(compact)
        }
        Some(other) => {
            return Err(ApiError::invalid_field(format!(
                "options must be a JSON object (passed to the provider's input), not {}",
                kind_of(other)
            )))
        }
    };
    let webhook_url = optional_string(&fields, "webhookUrl")?;
    if webhook_url.as_ref().is_some_and(|u| u.len() > 2048) {
        return Err(ApiError::invalid_field(
            "webhookUrl must be at most 2048 characters",
        ));
    }
    Ok(NewJob {
        wallet_address,
        script,
        render_version,
        provider: provider.name.clone(),
        model,
        seconds,
        size,
        metadata,
        webhook_url,
        options,
        estimated_progress: provider.estimated_progress,
    })
}

/// `seconds`: for `openai`, the original rule (the string "4", "8" or "12"); for the others a
/// whole number of seconds, as a number or a string, that the provider checks against the model.
fn seconds(fields: &Map<String, Value>, provider: &str) -> Result<Option<String>, ApiError> {
    if provider == relay_shared::provider::registry::DEFAULT {
        let seconds = optional_string(fields, "seconds")?;
        if let Some(s) = &seconds {
            if !SECONDS.contains(&s.as_str()) {
                return Err(ApiError::invalid_field(format!(
                    "seconds must be one of \"4\", \"8\", \"12\" (a string), not {s:?}"
                )));
            }
        }
        return Ok(seconds);
    }
    let n = match fields.get("seconds") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse::<u64>().ok(),
        Some(other) => {
            return Err(ApiError::invalid_field(format!(
                "seconds must be a whole number, not {}",
                kind_of(other)
            )))
        }
    };
    match n {
        Some(n) if (1..=u64::from(SECONDS_MAX)).contains(&n) => Ok(Some(n.to_string())),
        _ => Err(ApiError::invalid_field(format!(
            "seconds must be a whole number from 1 to {SECONDS_MAX}"
        ))),
    }
}

fn required_string(fields: &Map<String, Value>, name: &str) -> Result<String, ApiError> {
    match optional_string(fields, name)? {
        Some(s) if !s.trim().is_empty() => Ok(s),
        Some(_) => Err(ApiError::invalid_field(format!("{name} must not be empty"))),
        None => Err(ApiError::invalid_field(format!("{name} is required"))),
    }
}

fn optional_string(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, ApiError> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(ApiError::invalid_field(format!(
            "{name} must be a string, not {}",
            kind_of(other)
        ))),
    }
}

fn is_model_name(model: &str) -> bool {
    (1..=MODEL_MAX_CHARS).contains(&model.len())
        && model
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:/-".contains(c))
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            script_max_chars: 20,
            metadata_max_bytes: 32,
            providers: vec![
                EnabledProvider {
                    name: "openai".into(),
                    default_model: "sora-2".into(),
                    estimated_progress: false,
                },
                EnabledProvider {
                    name: "replicate".into(),
                    default_model: "minimax/video-01".into(),
                    estimated_progress: true,
                },
            ],
        }
    }

    fn parse(body: &str) -> Result<NewJob, ApiError> {
        generate_request(body.as_bytes(), &limits())
    }

    #[test]
    fn the_original_curl_body_is_accepted_with_defaults() {
        let job = parse(
            r#"{"walletAddress":"test-wallet","script":"Explain loops","renderVersion":"v3"}"#,
        )
        .unwrap();
        assert_eq!(job.model, "sora-2");
        assert_eq!(job.render_version, "v3");
        let job = parse(r#"{"walletAddress":"w","script":"s"}"#).unwrap();
        assert_eq!(job.render_version, "v3");
    }

    #[test]
    fn optional_fields_are_kept() {
        let job = parse(r#"{"walletAddress":"w","script":"s","model":"sora-2-pro","seconds":"8","size":"1792x1024","metadata":{"k":1}}"#).unwrap();
        assert_eq!(
            (job.seconds.as_deref(), job.size.as_deref()),
            (Some("8"), Some("1792x1024"))
        );
        assert_eq!(job.metadata.as_deref(), Some(r#"{"k":1}"#));
    }

    #[test]
    fn a_job_names_an_enabled_provider_its_model_and_options() {
        let job = parse(r#"{"walletAddress":"w","script":"s","provider":"replicate","seconds":6,"options":{"prompt_optimizer":false}}"#).unwrap();
        assert_eq!(job.provider, "replicate");
        assert_eq!(job.model, "minimax/video-01");
        assert!(job.estimated_progress);
        assert_eq!(job.seconds.as_deref(), Some("6"));
        assert_eq!(
            job.options.as_deref(),
            Some(r#"{"prompt_optimizer":false}"#)
        );
        let job = parse(r#"{"walletAddress":"w","script":"s","provider":"replicate","model":"kwaivgi/kling-v2.1","seconds":"10"}"#).unwrap();
        assert_eq!(
            (job.model.as_str(), job.seconds.as_deref()),
            ("kwaivgi/kling-v2.1", Some("10"))
        );
        let job = parse(r#"{"walletAddress":"w","script":"s"}"#).unwrap();
        assert_eq!((job.provider.as_str(), job.options), ("openai", None));
        let refused = parse(r#"{"walletAddress":"w","script":"s","provider":"fal"}"#).unwrap_err();
        assert_eq!(refused.code, ErrorCode::ProviderNotEnabled);
        assert_eq!(refused.status().as_u16(), 422);
        assert!(
            refused.message.contains("openai, replicate"),
            "{}",
            refused.message
        );
    }

    #[test]
    fn every_bad_field_is_a_4xx_naming_it() {
        let cases = [
            ("{", 400, "JSON"),
            ("[]", 422, "object"),
            (r#"{"script":"s"}"#, 422, "walletAddress"),
            (r#"{"walletAddress":"w"}"#, 422, "script"),
            (r#"{"walletAddress":"w","script":"   "}"#, 422, "script"),
            (r#"{"walletAddress":7,"script":"s"}"#, 422, "walletAddress"),
            (
                r#"{"walletAddress":"w","script":"123456789012345678901"}"#,
                422,
                "maximum",
            ),
            (
                r#"{"walletAddress":"w","script":"s","renderVersion":"v2"}"#,
                422,
                "v3",
            ),
            (
                r#"{"walletAddress":"w","script":"s","seconds":8}"#,
                422,
                "seconds",
            ),
            (
                r#"{"walletAddress":"w","script":"s","seconds":"5"}"#,
                422,
                "seconds",
            ),
            (
                r#"{"walletAddress":"w","script":"s","size":"big"}"#,
                422,
                "size",
            ),
            (
                r#"{"walletAddress":"w","script":"s","model":"a b"}"#,
                422,
                "model",
            ),
            (
                r#"{"walletAddress":"w","script":"s","provider":7}"#,
                422,
                "provider",
            ),
            (
                r#"{"walletAddress":"w","script":"s","provider":"replicate","seconds":0}"#,
                422,
                "seconds",
            ),
            (
                r#"{"walletAddress":"w","script":"s","provider":"replicate","seconds":"1.5"}"#,
                422,
                "seconds",
            ),
            (
                r#"{"walletAddress":"w","script":"s","options":"fast"}"#,
                422,
                "options",
            ),
            (
                r#"{"walletAddress":"w","script":"s","metadata":[1]}"#,
                422,
                "metadata",
            ),
            (
                r#"{"walletAddress":"w","script":"s","metadata":{"long":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}}"#,
                422,
                "metadata",
            ),
        ];
        for (body, status, mention) in cases {
            let err = parse(body).unwrap_err();
            assert_eq!(err.status().as_u16(), status, "{body}");
            assert!(err.message.contains(mention), "{body}: {}", err.message);
        }
        assert_eq!(
            parse(r#"{"walletAddress":"w","script":"s","renderVersion":"v2"}"#)
                .unwrap_err()
                .code,
            ErrorCode::UnsupportedRenderVersion
        );
    }
}
