//! Custody of finished videos: where they are kept ([`StoreUrl`], [`ContentStore`] over the
//! `object_store` crate), what the job records of each ([`Kept`]), and the signed links that let a
//! client without a key fetch one ([`link`]).
//!
//! A job's outputs are stored at `<prefix>/<jobId>/<index>`: a path that names the job alone, so
//! that a copy repeated after a crash finds (and never duplicates) the object a dead worker
//! finished, and retention deletes a job's objects without listing the store.

mod custody;
mod kept;
pub mod link;
mod location;
mod store;

pub use custody::Custody;
pub use kept::Kept;
pub use location::StoreUrl;
pub use store::{ContentStore, CopyError, Range};

#[cfg(test)]
mod tests;
