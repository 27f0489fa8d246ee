//! One module per group of commands.

pub mod listen;
pub mod operate;
pub mod read;
pub mod submit;
pub mod tenants;
pub mod verify;
pub mod watch;
