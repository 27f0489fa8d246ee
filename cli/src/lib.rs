//! The parts of relayctl other Rust code may use: reading the relay's Server-Sent Events.

pub mod events;
