//! What the relay asks a provider to make, in typed options every adapter maps to its own input.

use serde_json::{Map, Value};

/// One video to make.
#[derive(Clone, Debug, PartialEq)]
pub struct VideoRequest<'a> {
    /// The relay's job id: sent as the provider's idempotency key where it has one, so a retried
    /// submission cannot make a second video.
    pub idempotency_key: &'a str,
    pub prompt: &'a str,
    /// The provider's model name (`sora-2`, `fal-ai/kling-video/v2.1`, …).
    pub model: &'a str,
    /// Length of the video in seconds; `None` leaves it to the provider.
    pub seconds: Option<u32>,
    /// Its frame; `None` leaves it to the provider.
    pub frame: Option<Frame>,
    /// Provider-specific input, passed through as it is (keys the adapter sets itself win).
    pub extra: Map<String, Value>,
    /// Where the provider should call us back about this video (`PUBLIC_BASE_URL` set and the
    /// provider able to), if anywhere.
    pub callback_url: Option<&'a str>,
}

/// The shape of a video: an exact size, or an aspect ratio for providers that choose the size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Frame {
    Size { width: u32, height: u32 },
    AspectRatio { width: u32, height: u32 },
}

impl Frame {
    /// `WIDTHxHEIGHT` in pixels (`1280x720`), as clients and OpenAI write a size.
    pub fn parse_size(text: &str) -> Option<Self> {
        let (w, h) = text.split_once('x')?;
        let dimension = |d: &str| {
            ((2..=5).contains(&d.len()) && d.chars().all(|c| c.is_ascii_digit()))
                .then(|| d.parse().ok())
                .flatten()
        };
        Some(Frame::Size {
            width: dimension(w)?,
            height: dimension(h)?,
        })
    }

    /// The aspect ratio in lowest terms (`16:9` for 1280x720), as providers that take a ratio
    /// want it.
    pub fn aspect_ratio(self) -> (u32, u32) {
        let (w, h) = match self {
            Frame::Size { width, height } | Frame::AspectRatio { width, height } => (width, height),
        };
        let divisor = gcd(w, h).max(1);
        (w / divisor, h / divisor)
    }

    /// [`Frame::aspect_ratio`] as providers write it: `16:9`.
    pub fn ratio_text(self) -> String {
        let (w, h) = self.aspect_ratio();
        format!("{w}:{h}")
    }
}

impl std::fmt::Display for Frame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Frame::Size { width, height } => write!(f, "{width}x{height}"),
            Frame::AspectRatio { width, height } => write!(f, "{width}:{height}"),
        }
    }
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_and_reduce_to_their_aspect_ratio() {
        let frame = Frame::parse_size("1280x720").unwrap();
        assert_eq!(frame.to_string(), "1280x720");
        assert_eq!(frame.aspect_ratio(), (16, 9));
        assert_eq!(
            Frame::parse_size("720x1280").unwrap().aspect_ratio(),
            (9, 16)
        );
        for bad in ["1280", "x720", "1280x", "12800000x1", "1280×720", "-1x5"] {
            assert_eq!(Frame::parse_size(bad), None, "{bad}");
        }
    }
}
