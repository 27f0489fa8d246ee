//! Per-target circuit breakers, shared by every worker: one small hash per `provider:model`
//! (`breaker.lua`), O(1) per call. Failed creates in a row open a target's circuit; while it is
//! open, routed jobs move past the target without calling it. After the open spell one caller
//! probes it (half-open) while the others still see it open; the probe's success closes the
//! circuit (the hash is deleted), its failure opens it again. A probe that never reports (its
//! worker died) lets another probe after one more spell. An idle breaker's hash expires.

use std::time::Duration;

use crate::config::{CircuitSettings, Target};

use super::{scripts, Store, StoreResult};

/// What a check of a target's circuit says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Circuit {
    /// Calls go; `failures` failed in a row lately.
    Closed { failures: u32 },
    /// No calls until a probe may go, in this long.
    Open(Duration),
    /// Half-open: this caller's call is the probe.
    Probe,
}

/// What a reported failure did to the circuit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AfterFailure {
    Closed {
        failures: u32,
    },
    /// This failure opened it.
    Opened,
    /// It was open (a probe failed): open again for another spell.
    Reopened,
}

impl Store {
    /// Whether a call to `target` may go now.
    pub async fn check_circuit(
        &self,
        target: &Target,
        circuit: CircuitSettings,
    ) -> StoreResult<Circuit> {
        let (state, n) = self.breaker(target, "check", circuit).await?;
        Ok(match state.as_str() {
            "open" => Circuit::Open(Duration::from_millis(n.max(0) as u64)),
            "probe" => Circuit::Probe,
            _ => Circuit::Closed {
                failures: n.max(0) as u32,
            },
        })
    }

    /// A call to `target` got an answer: its circuit closes.
    pub async fn circuit_success(
        &self,
        target: &Target,
        circuit: CircuitSettings,
    ) -> StoreResult<()> {
        self.breaker(target, "success", circuit).await.map(|_| ())
    }

    /// A call to `target` failed (the provider's own failure).
    pub async fn circuit_failure(
        &self,
        target: &Target,
        circuit: CircuitSettings,
    ) -> StoreResult<AfterFailure> {
        let (state, n) = self.breaker(target, "failure", circuit).await?;
        Ok(match state.as_str() {
            "opened" => AfterFailure::Opened,
            "open" => AfterFailure::Reopened,
            _ => AfterFailure::Closed {
                failures: n.max(0) as u32,
            },
        })
    }

    async fn breaker(
        &self,
        target: &Target,
        op: &str,
        circuit: CircuitSettings,
    ) -> StoreResult<(String, i64)> {
        let mut conn = self.conn().await?;
        Ok(scripts::BREAKER
            .key(self.keys.breaker(target))
            .arg(op)
            .arg(circuit.failures)
            .arg(circuit.window.as_millis() as u64)
            .arg(circuit.open.as_millis() as u64)
            .invoke_async(&mut conn)
            .await?)
    }
}
