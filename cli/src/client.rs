//! The REST API as relayctl calls it: the base URL, the key, and the API's error body
//! (`{"error": {"code", "message"}}`) turned into a message that names both.

use std::time::Duration;

use anyhow::Context;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

pub struct Client {
    base: String,
    key: Option<String>,
    http: reqwest::Client,
    /// Without a bound on the whole exchange: event streams and downloads last.
    streaming: reqwest::Client,
}

impl Client {
    pub fn new(base: &str, key: Option<&str>) -> anyhow::Result<Self> {
        let agent = concat!("relayctl/", env!("CARGO_PKG_VERSION"));
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            key: key.filter(|k| !k.is_empty()).map(str::to_owned),
            http: reqwest::Client::builder()
                .user_agent(agent)
                .timeout(Duration::from_secs(30))
                .build()?,
            streaming: reqwest::Client::builder()
                .user_agent(agent)
                .connect_timeout(Duration::from_secs(10))
                .build()?,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn request(&self, http: &reqwest::Client, method: Method, url: &str) -> RequestBuilder {
        let request = http.request(method, url);
        match &self.key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    /// `method path` with an optional JSON body: the answer's JSON, or the API's error.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> anyhow::Result<Value> {
        let url = self.url(path);
        let mut request = self.request(&self.http, method.clone(), &url);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {url}: the relay did not answer"))?;
        let response = checked(response).await?;
        let text = response.text().await?;
        if text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).with_context(|| format!("{method} {url}: not JSON: {text}"))
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Value> {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Opens a streaming GET (`url` absolute, as a `videoUrl`, or a path): the response, once
    /// its status is a success. The key goes only to the relay's own URLs.
    pub async fn open(
        &self,
        url_or_path: &str,
        headers: &[(&str, String)],
    ) -> anyhow::Result<Response> {
        let url = if url_or_path.starts_with('/') {
            self.url(url_or_path)
        } else {
            url_or_path.to_owned()
        };
        let mut request = if url.starts_with(&self.base) {
            self.request(&self.streaming, Method::GET, &url)
        } else {
            self.streaming.get(&url)
        };
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("GET {}: no answer", shown(&url)))?;
        checked(response).await
    }
}

/// The response if its status is a success; else an error with the API's code and message.
async fn checked(response: Response) -> anyhow::Result<Response> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let url = shown(response.url().as_str());
    let body = response.text().await.unwrap_or_default();
    let parsed: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    match (
        parsed["error"]["code"].as_str(),
        parsed["error"]["message"].as_str(),
    ) {
        (Some(code), Some(message)) => anyhow::bail!("{status} {code}: {message}"),
        _ => anyhow::bail!(
            "{url} answered {status}: {}",
            body.chars().take(300).collect::<String>()
        ),
    }
}

/// A URL without its query (a signed link's signature is a capability: never printed).
pub fn shown(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_owned()
}
