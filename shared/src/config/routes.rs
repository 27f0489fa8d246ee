//! Model routes (`ROUTES`, `DEFAULT_ROUTE`): a route is a name a job may give as its `model`, and
//! the ordered targets — `provider:model` — that may make its video. The job goes to the first;
//! when a target refuses it for a reason another could avoid, it moves on to the next (the worker's
//! `polling::failover`). `ROUTES` is a JSON object, given inline or as the path of a file holding
//! it:
//!
//! ```json
//! {"video-fast": ["fal:fal-ai/kling-video/v2.1", "replicate:minimax/video-01"]}
//! ```
//!
//! A target's provider is the text before its first `:`, so a model may hold colons of its own
//! (`replicate:owner/name:version`).

use std::collections::BTreeMap;
use std::fmt;

use super::ConfigError;

/// Where a routed job may be made: one provider's model.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Target {
    pub provider: String,
    pub model: String,
}

impl Target {
    pub fn new(provider: &str, model: &str) -> Self {
        Self {
            provider: provider.to_owned(),
            model: model.to_owned(),
        }
    }

    /// `provider:model`, the provider one this build knows.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (provider, model) = text
            .split_once(':')
            .filter(|(p, m)| !p.is_empty() && !m.trim().is_empty())
            .ok_or_else(|| format!("target {text:?} is not provider:model"))?;
        if !crate::provider::registry::ADAPTERS
            .iter()
            .any(|(name, _)| *name == provider)
        {
            return Err(format!(
                "target {text:?} names provider {provider:?}, which this relay does not have"
            ));
        }
        Ok(Self::new(provider, model))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.provider, self.model)
    }
}

/// Every route, and the one jobs that name neither a model nor a provider get.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Routes {
    routes: BTreeMap<String, Vec<Target>>,
    /// `DEFAULT_ROUTE`: a route's name, or none.
    pub default: Option<String>,
}

impl Routes {
    /// From `ROUTES` (inline JSON, a file's path, or empty) and `DEFAULT_ROUTE` (a route's name or
    /// empty). Every failure names the setting and what is wrong.
    pub fn parse(routes: &str, default: &str) -> Result<Self, ConfigError> {
        let fail = |why: String| ConfigError(format!("routes: ROUTES {why}"));
        let text = routes.trim();
        let json = if text.is_empty() {
            "{}".to_owned()
        } else if text.starts_with('{') {
            text.to_owned()
        } else {
            std::fs::read_to_string(text).map_err(|e| {
                fail(format!(
                    "names the file {text:?}, which cannot be read: {e}"
                ))
            })?
        };
        let parsed: BTreeMap<String, Vec<String>> = serde_json::from_str(&json).map_err(|e| {
            fail(format!(
                "must be a JSON object of route names to lists of \"provider:model\": {e}"
            ))
        })?;
        let mut routes = BTreeMap::new();
        for (name, targets) in parsed {
            if name.trim().is_empty() || name.contains(':') {
                return Err(fail(format!(
                    "route name {name:?} must be non-empty without ':' (which marks a target)"
                )));
            }
            if targets.is_empty() {
                return Err(fail(format!("route {name:?} has no targets")));
            }
            let targets = targets
                .iter()
                .map(|t| Target::parse(t))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| fail(format!("route {name:?}: {e}")))?;
            let mut seen = std::collections::HashSet::new();
            if let Some(twice) = targets.iter().find(|t| !seen.insert(*t)) {
                return Err(fail(format!("route {name:?} names {twice} twice")));
            }
            routes.insert(name, targets);
        }
        let default = Some(default.trim().to_owned()).filter(|d| !d.is_empty());
        if let Some(name) = &default {
            if !routes.contains_key(name) {
                return Err(ConfigError(format!(
                    "default_route: DEFAULT_ROUTE={name} is not a route in ROUTES"
                )));
            }
        }
        Ok(Self { routes, default })
    }

    /// The targets of the route called `name`.
    pub fn get(&self, name: &str) -> Option<&[Target]> {
        self.routes.get(name).map(Vec::as_slice)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &[Target])> {
        self.routes.iter().map(|(n, t)| (n.as_str(), t.as_slice()))
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Where a job on `route` goes after `current`: the first later target it has not been at
    /// (`tried`). `None` at the end of the route, for a route that no longer exists, or when
    /// `current` is not on it (the route changed under the job): a job only ever moves forward,
    /// so it is never sent to one target twice.
    pub fn next_after(&self, route: &str, current: &Target, tried: &[Target]) -> Option<&Target> {
        let targets = self.get(route)?;
        let at = targets.iter().position(|t| t == current)?;
        targets[at + 1..].iter().find(|t| !tried.contains(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> Target {
        Target::parse(text).unwrap()
    }

    #[test]
    fn routes_parse_from_json_or_a_file_and_name_what_is_wrong() {
        let json = r#"{"video-fast": ["fal:fal-ai/kling-video/v2.1", "replicate:owner/name:v1", "openrouter:google/veo-3.1"]}"#;
        let routes = Routes::parse(json, "video-fast").unwrap();
        assert_eq!(
            routes.get("video-fast").unwrap()[1],
            Target::new("replicate", "owner/name:v1")
        );
        assert_eq!(routes.default.as_deref(), Some("video-fast"));
        let file = std::env::temp_dir().join(format!("routes-{}.json", std::process::id()));
        std::fs::write(&file, json).unwrap();
        assert_eq!(
            Routes::parse(file.to_str().unwrap(), "")
                .unwrap()
                .get("video-fast"),
            routes.get("video-fast")
        );
        std::fs::remove_file(&file).unwrap();
        assert!(Routes::parse("", "").unwrap().is_empty());
        for (routes, default, says) in [
            ("{", "", "JSON object"),
            (r#"{"r": []}"#, "", "no targets"),
            (r#"{"r": ["fal"]}"#, "", "not provider:model"),
            (r#"{"r": ["acme:m"]}"#, "", "does not have"),
            (r#"{"r": ["fal:m", "fal:m"]}"#, "", "twice"),
            (r#"{"a:b": ["fal:m"]}"#, "", "without ':'"),
            (r#"{"r": ["fal:m"]}"#, "other", "DEFAULT_ROUTE=other"),
            ("/no/such/routes.json", "", "cannot be read"),
        ] {
            let e = Routes::parse(routes, default).unwrap_err().to_string();
            assert!(e.contains(says), "{routes}: {e}");
        }
    }

    #[test]
    fn a_job_moves_only_forward_and_never_to_a_target_it_was_at() {
        let routes = Routes::parse(
            r#"{"r": ["fal:a", "replicate:b", "luma:c"], "s": ["veo:d"]}"#,
            "",
        )
        .unwrap();
        assert_eq!(
            routes.next_after("r", &t("fal:a"), &[]),
            Some(&t("replicate:b"))
        );
        assert_eq!(
            routes.next_after("r", &t("fal:a"), &[t("replicate:b")]),
            Some(&t("luma:c"))
        );
        assert_eq!(routes.next_after("r", &t("luma:c"), &[]), None);
        assert_eq!(routes.next_after("s", &t("veo:d"), &[]), None);
        assert_eq!(routes.next_after("r", &t("veo:d"), &[]), None, "not on it");
        assert_eq!(routes.next_after("gone", &t("fal:a"), &[]), None);
    }
}
