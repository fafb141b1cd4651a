//! The clock against AWS's: the offset an earlier command measured (kept for a day in the
//! state directory, see `domain::clock::aws`), or with `--online` one STS call measured now,
//! which also shows the STS endpoint answers.
//!
//! The call is a GetCallerIdentity signed with a placeholder key, not with any of the
//! operator's: every answer of STS, a refusal too, carries its `Date`, and any answer at all
//! means the endpoint is reachable. So nothing secret leaves the machine and no session is
//! made or spent.

use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::SignedDuration;

use super::{Finding, STS_TIMEOUT, timed_out};
use crate::app::remembered_clock;
use crate::domain::clock::aws::NOTICE_THRESHOLD;
use crate::domain::clock::{Clock as _, skew_notice};
use crate::domain::credentials::Credentials;
use crate::domain::inventory::Inventory;
use crate::domain::sts::{AwsSts, Sts as _, StsError};

const CLOCK: &str = "clock";
const STS: &str = "sts";
const SET_THE_CLOCK: &str = "set this machine's clock (NTP: `timedatectl set-ntp true`); switchboard judges sessions \
                             in AWS time meanwhile, other tools may not";

pub async fn check(inventory: Option<Arc<Inventory>>, online: bool) -> Vec<Finding> {
    let Some(inventory) = inventory else {
        let mut findings = vec![Finding::warning(
            CLOCK,
            "not checked: the offset is kept per STS endpoint, which the inventory names",
            "fix the inventory first",
        )];
        if online {
            findings.push(Finding::warning(STS, "not checked: it needs a valid inventory", "fix the inventory first"));
        }
        return findings;
    };
    if !online {
        return vec![judge(remembered_clock(&inventory).ahead_of_aws(), "kept from an earlier command's STS answer")];
    }
    let endpoint = inventory
        .endpoint_for("AWS_ENDPOINT_URL_STS")
        .unwrap_or_else(|| format!("https://sts.{}.amazonaws.com", inventory.defaults.region));
    let clock = remembered_clock(&inventory);
    let kept = clock.ahead_of_aws();
    let sts = AwsSts::new(inventory.endpoint_for("AWS_ENDPOINT_URL_STS")).with_clock(clock.clone());
    let placeholder = Credentials::new("AKIASWITCHBOARDDOCTOR", "placeholder", None, None);
    let started = Instant::now();
    let answer = tokio::time::timeout(STS_TIMEOUT, sts.caller_identity(&placeholder, &inventory.defaults.region)).await;
    let took = started.elapsed();
    let reached = match answer {
        Err(_) => Finding::problem(
            STS,
            format!("{endpoint}: {}", timed_out(STS_TIMEOUT)),
            "check the network (VPN, proxy, firewall) and the inventory's endpoint_url",
        ),
        Ok(Err(error @ (StsError::Timeout(_) | StsError::Unreachable(_) | StsError::Unreadable(_)))) => {
            Finding::problem(STS, format!("{endpoint}: {error}"), "check the network (VPN, proxy) and endpoint_url")
        }
        Ok(_) => Finding::ok(STS, format!("{endpoint} answered in {}", milliseconds(took))),
    };
    let measured = clock.ahead_of_aws().filter(|_| reached.status == super::Status::Ok);
    let clock_finding = match measured {
        Some(ahead) => judge(Some(ahead), "measured now"),
        None => judge(kept, "kept from an earlier command's STS answer"),
    };
    vec![clock_finding, reached]
}

/// Within a minute is the STS `Date`'s precision and the trip: fine. Past it, a warning that
/// names side and size (switchboard corrects for it; tools that do not may fail).
fn judge(ahead: Option<SignedDuration>, how: &str) -> Finding {
    let Some(ahead) = ahead else {
        return Finding::ok(
            CLOCK,
            "no offset kept from the last day (the next STS answer measures it; `switchboard doctor --online` does now)",
        );
    };
    match skew_notice(Some(ahead)) {
        Some(notice) => Finding::warning(CLOCK, format!("{notice} ({how})"), SET_THE_CLOCK),
        None => {
            // Under 2 s is the `Date` header's precision and the trip, recorded as zero.
            let seconds = Duration::try_from(ahead.abs()).unwrap_or(NOTICE_THRESHOLD).as_secs().max(2);
            Finding::ok(CLOCK, format!("within {seconds}s of AWS ({how})"))
        }
    }
}

fn milliseconds(took: Duration) -> String {
    format!("{} ms", took.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_offset_past_a_minute_is_a_warning_naming_its_side() {
        let fast = judge(Some(SignedDuration::from_mins(10)), "measured now");
        assert_eq!(fast.status, super::super::Status::Warning);
        assert!(fast.summary.starts_with("clock 10m ahead of AWS"), "{}", fast.summary);
        let close = judge(Some(SignedDuration::from_secs(-3)), "measured now");
        assert_eq!(close.status, super::super::Status::Ok);
        assert!(close.summary.contains("within 3s"), "{}", close.summary);
        let noise = judge(Some(SignedDuration::ZERO), "measured now");
        assert!(noise.summary.contains("within 2s"), "{}", noise.summary);
        assert_eq!(judge(None, "kept").status, super::super::Status::Ok);
    }
}
