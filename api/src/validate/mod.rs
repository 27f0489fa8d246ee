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
    /// `ROUTES` and `DEFAULT_ROUTE` (every target's provider is enabled: checked at start-up).
    pub routes: relay_shared::config::Routes,
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
    let named_provider = optional_string(&fields, "provider")?;
    let named_model = optional_string(&fields, "model")?;
    if named_model.as_deref().is_some_and(|m| !is_model_name(m)) {
        return Err(ApiError::invalid_field(format!(
            "model must be 1 to {MODEL_MAX_CHARS} characters of letters, digits, '.', '_', ':', '/' or '-'"
        )));
    }
    // A model that names a route makes the job routed; so does DEFAULT_ROUTE for a job naming
    // neither a model nor a provider. Its provider and model are then its first target's.
    let route = match (&named_model, &named_provider) {
        (Some(model), Some(provider)) if limits.routes.get(model).is_some() => {
            return Err(ApiError::invalid_field(format!(
                "model {model:?} names a route, which chooses the provider: leave out provider ({provider:?})"
            )))
        }
        (Some(model), None) if limits.routes.get(model).is_some() => Some(model.clone()),
        (None, None) => limits.routes.default.clone(),
        _ => None,
    };
    let first = route
        .as_deref()
        .and_then(|r| limits.routes.get(r))
        .and_then(<[_]>::first);
    let provider = limits.provider(match first {
        Some(target) => Some(target.provider.as_str()),
        None => named_provider.as_deref(),
    })?;
    let model = match (first, named_model) {
        (Some(target), _) => target.model.clone(),
        (None, Some(model)) => model,
        (None, None) => provider.default_model.clone(),
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
        route,
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
mod tests;
