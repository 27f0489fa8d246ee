//! A webhook request as `listen --save` writes it and `verify` reads it — the request line, the
//! headers, a blank line and the body, as on the wire — and what its signatures say under a
//! secret: the original `x-signature` (hex HMAC-SHA256 of the body) and Standard Webhooks'
//! `webhook-signature` (`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), each compared in
//! constant time.

use std::time::Duration;

use relay_shared::webhook::{self, SigningKeys};
use subtle::ConstantTimeEq;

pub struct Request {
    pub method: String,
    pub path: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What a request's signatures say: `None` for a scheme whose headers it lacks.
pub struct Checks {
    pub original: Option<bool>,
    pub standard: Option<bool>,
    /// How long ago it was signed (`webhook-timestamp`, else `x-timestamp`).
    pub age: Option<Duration>,
}

impl Checks {
    /// Every signature present verifies, and there is at least one.
    pub fn all_good(&self) -> bool {
        let present: Vec<bool> = [self.original, self.standard]
            .into_iter()
            .flatten()
            .collect();
        !present.is_empty() && present.iter().all(|ok| *ok)
    }
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The request as a file.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.path).into_bytes();
        for (name, value) in &self.headers {
            out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
        out
    }

    /// Reads a file made by [`Request::to_bytes`] (line ends `\r\n` or `\n`).
    pub fn parse(bytes: &[u8]) -> anyhow::Result<Self> {
        let (head, body) = split_head(bytes)
            .ok_or_else(|| anyhow::anyhow!("no blank line between the headers and the body"))?;
        let head = std::str::from_utf8(head)?;
        let mut lines = head.lines();
        let request_line = lines.next().unwrap_or_default();
        let mut parts = request_line.split_whitespace();
        let (method, path) = (parts.next(), parts.next());
        let (Some(method), Some(path)) = (method, path) else {
            anyhow::bail!("the first line is not a request line: {request_line:?}");
        };
        let headers = lines
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let (name, value) = l
                    .split_once(':')
                    .ok_or_else(|| anyhow::anyhow!("not a header: {l:?}"))?;
                Ok((name.trim().to_ascii_lowercase(), value.trim().to_owned()))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            method: method.to_owned(),
            path: path.to_owned(),
            headers,
            body: body.to_vec(),
        })
    }

    /// Checks both schemes under `secret` (one, or several separated by spaces during a rotation,
    /// as `WEBHOOK_SECRET`), at `now` (unix seconds) for the age.
    pub fn check(&self, secret: &str, now: i64) -> anyhow::Result<Checks> {
        let keys = SigningKeys::parse(secret)
            .map_err(|e| anyhow::anyhow!("the secret: {e}"))?
            .ok_or_else(|| anyhow::anyhow!("no secret given (--secret or WEBHOOK_SECRET)"))?;
        let first = secret
            .split([' ', ','])
            .find(|s| !s.is_empty())
            .unwrap_or_default();
        let original = self
            .header(webhook::SIGNATURE_HEADER)
            .map(|given| webhook::verify(first.as_bytes(), &self.body, given));
        let standard = match (
            self.header(webhook::ID_HEADER),
            self.header(webhook::STANDARD_TIMESTAMP_HEADER),
            self.header(webhook::STANDARD_SIGNATURE_HEADER),
        ) {
            (Some(id), Some(timestamp), Some(given)) => Some(match timestamp.parse::<i64>() {
                Ok(timestamp) => {
                    let expected = keys.standard(id, timestamp, &self.body);
                    given.split(' ').any(|g| {
                        expected
                            .split(' ')
                            .any(|e| bool::from(g.as_bytes().ct_eq(e.as_bytes())))
                    })
                }
                Err(_) => false,
            }),
            _ => None,
        };
        let signed_at = self
            .header(webhook::STANDARD_TIMESTAMP_HEADER)
            .or_else(|| self.header(webhook::TIMESTAMP_HEADER))
            .and_then(|t| t.parse::<i64>().ok());
        Ok(Checks {
            original,
            standard,
            age: signed_at.map(|t| Duration::from_secs(now.saturating_sub(t).max(0) as u64)),
        })
    }
}

fn split_head(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    for separator in [&b"\r\n\r\n"[..], &b"\n\n"[..]] {
        if let Some(at) = bytes.windows(separator.len()).position(|w| w == separator) {
            return Some((&bytes[..at], &bytes[at + separator.len()..]));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(secret: &str, body: &str, now: i64) -> Request {
        let keys = SigningKeys::parse(secret).unwrap().unwrap();
        let id = "evt_j_1";
        Request {
            method: "POST".into(),
            path: "/hook".into(),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-signature".into(), keys.original(body.as_bytes())),
                ("x-timestamp".into(), now.to_string()),
                ("webhook-id".into(), id.into()),
                ("webhook-timestamp".into(), now.to_string()),
                (
                    "webhook-signature".into(),
                    keys.standard(id, now, body.as_bytes()),
                ),
            ],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_saved_request_reads_back_and_both_signatures_verify_under_its_secret_only() {
        let request = signed("topsecret", r#"{"jobId":"j","status":"completed"}"#, 1_000);
        let read = Request::parse(&request.to_bytes()).unwrap();
        assert_eq!(read.body, request.body);
        let checks = read.check("topsecret", 1_060).unwrap();
        assert_eq!((checks.original, checks.standard), (Some(true), Some(true)));
        assert_eq!(checks.age, Some(Duration::from_secs(60)));
        assert!(checks.all_good());
        let wrong = read.check("another", 1_060).unwrap();
        assert_eq!((wrong.original, wrong.standard), (Some(false), Some(false)));
        // During a rotation the new secret comes first: the standard signature carries both.
        assert_eq!(
            read.check("newer topsecret", 1_060).unwrap().standard,
            Some(true)
        );
    }

    #[test]
    fn a_changed_body_fails_both_schemes() {
        let mut request = signed("s", r#"{"progress":10}"#, 5);
        request.body = br#"{"progress":90}"#.to_vec();
        let checks = request.check("s", 5).unwrap();
        assert_eq!(
            (checks.original, checks.standard),
            (Some(false), Some(false))
        );
        assert!(!checks.all_good());
        let bare = Request::parse(b"POST / HTTP/1.1\n\n{}").unwrap();
        assert!(
            !bare.check("s", 5).unwrap().all_good(),
            "no signature is no proof"
        );
    }
}
