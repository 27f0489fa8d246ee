//! The bytes of a finished video, as every simulated provider serves them: OpenAI's and
//! OpenRouter's content endpoints (with the key), Replicate's and fal's file URLs (capability
//! URLs, no key, as on their CDNs). By default a real three-second clip that a browser plays
//! ([`SAMPLE`], made by `sim/assets/make-sample.sh`), the same for every video; a prompt with
//! `sim:bytes=<n>` gets exactly n bytes (an MP4 start, then a pattern seeded by the video's id,
//! so that every video's checksum differs), generated as they are sent, so a gigabyte costs no
//! memory. `sim:slow_content` sends at [`SLOW_BYTES_PER_SEC`], for tests that stop a copy
//! half-way. `GET /sim/stats` counts the downloads begun and sent in full.

use std::time::Duration;

use actix_web::{web, HttpResponse};
use bytes::Bytes;

use crate::state::{now_ms, SimState};
use crate::video::VideoRecord;

/// The start of every simulated video.
pub const MP4_START: &[u8] = b"\0\0\0\x18ftypmp42\0\0\0\0mp42isomsora-sim";
/// The default video: a playable H.264 MP4 test pattern, 320×180, three seconds.
pub const SAMPLE: &[u8] = include_bytes!("../assets/sample.mp4");
/// `sim:slow_content`'s rate.
pub const SLOW_BYTES_PER_SEC: u64 = 1024 * 1024;
const CHUNK: usize = 64 * 1024;

/// The size of a video's content.
pub fn size_of(prompt: &str) -> u64 {
    asked_bytes(prompt).unwrap_or(SAMPLE.len() as u64)
}

fn asked_bytes(prompt: &str) -> Option<u64> {
    let (_, rest) = prompt.split_once("sim:bytes=")?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Bytes `offset..offset + len` of the video with this id and prompt.
pub fn chunk_of(id: &str, prompt: &str, offset: u64, len: usize) -> Vec<u8> {
    match asked_bytes(prompt) {
        Some(_) => bytes_at(id, offset, len),
        None => SAMPLE[offset as usize..offset as usize + len].to_vec(),
    }
}

/// Bytes `offset..offset + len` of a `sim:bytes=` video with this id.
pub fn bytes_at(id: &str, offset: u64, len: usize) -> Vec<u8> {
    let seed = id
        .bytes()
        .fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    (offset..offset + len as u64)
        .map(|at| match MP4_START.get(at as usize) {
            Some(b) => *b,
            None => (at.wrapping_mul(2_654_435_761).wrapping_add(seed) >> 7) as u8,
        })
        .collect()
}

/// The whole content of a video (tests: what its checksum must be).
pub fn content_of(id: &str, prompt: &str) -> Vec<u8> {
    chunk_of(id, prompt, 0, size_of(prompt) as usize)
}

/// `200` with the video's bytes, streamed.
pub fn respond(state: &web::Data<SimState>, record: &VideoRecord) -> HttpResponse {
    let size = size_of(&record.prompt);
    let slow = record.prompt.contains("sim:slow_content");
    let (id, prompt) = (record.id.clone(), record.prompt.clone());
    state.count_download(false);
    let counter = state.clone();
    let body = futures_util::stream::unfold(0u64, move |sent| {
        let (id, prompt, counter) = (id.clone(), prompt.clone(), counter.clone());
        async move {
            if sent >= size {
                counter.count_download(true);
                return None;
            }
            let len = CHUNK.min((size - sent) as usize);
            if slow {
                let wait = len as u64 * 1000 / SLOW_BYTES_PER_SEC;
                tokio::time::sleep(Duration::from_millis(wait)).await;
            }
            let chunk = Bytes::from(chunk_of(&id, &prompt, sent, len));
            Some((Ok::<_, std::io::Error>(chunk), sent + len as u64))
        }
    });
    HttpResponse::Ok()
        .content_type("video/mp4")
        .no_chunking(size)
        .streaming(body)
}

/// `GET /replicate/v1/files/{id}.mp4`, `GET /fal/files/{id}.mp4`, `GET /runway/files/{id}.mp4`: a
/// finished video's file, as a CDN serves it (no key); 404 once the provider deleted it
/// (`DELETE /sim/videos/{id}`).
pub async fn file(state: web::Data<SimState>, name: web::Path<String>) -> HttpResponse {
    let id = name.trim_end_matches(".mp4");
    match state.peek(id) {
        Some(record) if record.at(now_ms()).status == "completed" => respond(&state, &record),
        _ => HttpResponse::NotFound()
            .content_type("text/plain")
            .body("Not Found"),
    }
}

/// `DELETE /sim/videos/{id}`: the provider deletes a video (its outputs expire), whichever API
/// made it.
pub async fn purge(state: web::Data<SimState>, id: web::Path<String>) -> HttpResponse {
    match state.purge(&id) {
        true => HttpResponse::NoContent().finish(),
        false => HttpResponse::NotFound().finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_is_deterministic_sized_and_differs_per_video() {
        assert_eq!(content_of("v1", "a cat"), SAMPLE);
        assert_eq!(&SAMPLE[4..8], b"ftyp", "the sample is an MP4");
        let a = content_of("v1", "sim:bytes=100000 a cat");
        assert_eq!(a.len(), 100_000);
        assert_eq!(&a[..MP4_START.len()], MP4_START);
        assert_eq!(a, content_of("v1", "sim:bytes=100000"));
        assert_ne!(a, content_of("v2", "sim:bytes=100000"));
        assert_eq!(bytes_at("v1", 70_000, 10), a[70_000..70_010]);
    }
}
