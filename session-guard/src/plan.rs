//! What to do for one access-log event, decided without I/O.

use serde::{Deserialize, Serialize};

use crate::access_log::{AccessEvent, EventType};
use crate::naming::{schedule_name, unattributed_schedule_name, NameError};

/// What a schedule hands the guard when it fires; the guard stores it as
/// the schedule's target input, and revoke reads it back to check the
/// subject before ending anything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Disconnect {
    /// The connection to end.
    pub connection_id: String,
    /// Whose it is; none for a connection without a subject, which revoke
    /// never ends (its schedule still does, at `exp`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
}

/// A one-time schedule that ends a connection at its token's `exp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// See [`crate::naming`].
    pub name: String,
    /// When it fires, seconds since the epoch.
    pub at: u64,
    /// The same as a Scheduler `at(…)` expression, UTC.
    pub expression: String,
    /// What it hands the guard.
    pub target: Disconnect,
}

/// Why an event leads to nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// A CONNECT without a usable `exp` (a token without one, an access-log
    /// format without `$context.authorizer.exp`, or one past the year 9999):
    /// nothing to schedule.
    NoExp,
    /// A connection id that cannot be put in a schedule name.
    BadConnectionId,
    /// A message or other event.
    NotConnectOrDisconnect,
}

/// The decision for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create the schedule.
    Schedule(Schedule),
    /// The schedule's time has come already, or comes within Scheduler's
    /// precision ([`PRECISION`]): the token had expired or was about to when
    /// the log line was read (clock skew, a slow delivery, a short-lived
    /// token), or the connection is at API Gateway's two-hour limit. End it
    /// now rather than create a schedule for a time already past.
    DisconnectNow(Disconnect),
    /// The connection closed: its schedule is no longer needed.
    Unschedule(String),
    /// Nothing to do, and why.
    Skip(Skip),
}

/// Scheduler invokes a one-time schedule within the minute after its time
/// (its documented 60-second precision): a time closer than this is due now.
pub const PRECISION: u64 = 60;

/// API Gateway closes every WebSocket connection two hours after it opened.
pub const MAX_CONNECTION: u64 = 2 * 60 * 60;

/// Decides what `event`, logged at `logged_at` (when the connection opened,
/// for a CONNECT), needs at `now`; seconds since the epoch.
///
/// A schedule fires at the token's `exp`, but no later than two hours after
/// the connection opened: API Gateway has closed it by then whatever the
/// token says, and a schedule at the `exp` of a long-lived token would
/// linger for nothing (and outlive every DISCONNECT that could remove it).
/// Capping rather than skipping keeps the connection revocable by subject
/// until it ends. A line without a time, or with one in the future (skew),
/// counts as logged `now`: the connection cannot have opened later.
pub fn plan(event: &AccessEvent, logged_at: Option<u64>, now: u64) -> Step {
    if event.event_type == EventType::Other {
        return Step::Skip(Skip::NotConnectOrDisconnect);
    }
    // Without a subject the connection still ends at its exp; only revoke,
    // which finds schedules by subject, cannot reach it.
    let named = match &event.subject {
        Some(subject) => schedule_name(subject, &event.connection_id),
        None => unattributed_schedule_name(&event.connection_id),
    };
    let name = match named {
        Ok(name) => name,
        Err(NameError::Character(_) | NameError::TooLong(_)) => {
            return Step::Skip(Skip::BadConnectionId)
        }
    };
    if event.event_type == EventType::Disconnect {
        return Step::Unschedule(name);
    }
    let Some(exp) = event.exp else {
        return Step::Skip(Skip::NoExp);
    };
    let target = Disconnect {
        connection_id: event.connection_id.clone(),
        sub: event.subject.clone(),
    };
    let opened = logged_at.map_or(now, |logged_at| logged_at.min(now));
    let at = exp.min(opened.saturating_add(MAX_CONNECTION));
    if at <= now.saturating_add(PRECISION) {
        return Step::DisconnectNow(target);
    }
    match at_expression(at) {
        Some(expression) => Step::Schedule(Schedule {
            name,
            at,
            expression,
            target,
        }),
        None => Step::Skip(Skip::NoExp),
    }
}

/// The Scheduler expression for a one-time schedule at `at` (UTC, with
/// `ScheduleExpressionTimezone` UTC); `None` past the year 9999.
pub fn at_expression(at: u64) -> Option<String> {
    let seconds = i64::try_from(at).ok()?;
    let time = aws_sdk_scheduler::primitives::DateTime::from_secs(seconds)
        .fmt(aws_sdk_scheduler::primitives::DateTimeFormat::DateTime)
        .ok()?;
    let time = time.strip_suffix('Z')?;
    (time.len() == 19).then(|| format!("at({time})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_764_475_200; // 2025-11-30T04:00:00Z

    fn event(event_type: EventType, subject: Option<&str>, exp: Option<u64>) -> AccessEvent {
        AccessEvent {
            event_type,
            connection_id: "Dzl8bdcnDoECJZQ=".into(),
            subject: subject.map(str::to_owned),
            unreadable_subject: false,
            exp,
        }
    }

    fn target() -> Disconnect {
        Disconnect {
            connection_id: "Dzl8bdcnDoECJZQ=".into(),
            sub: Some("alice".into()),
        }
    }

    #[test]
    fn a_connect_is_scheduled_at_exp() {
        assert_eq!(
            plan(
                &event(EventType::Connect, Some("alice"), Some(NOW + 300)),
                Some(NOW - 1),
                NOW
            ),
            Step::Schedule(Schedule {
                name: "2bd806c97f0e00af-Dzl8bdcnDoECJZQ.".into(),
                at: NOW + 300,
                expression: "at(2025-11-30T04:05:00)".into(),
                target: target(),
            })
        );
    }

    #[test]
    fn a_token_expired_or_within_schedulers_minute_is_ended_at_once() {
        for exp in [NOW + PRECISION, NOW + 1, NOW, NOW - 1, 0] {
            assert_eq!(
                plan(
                    &event(EventType::Connect, Some("alice"), Some(exp)),
                    Some(NOW),
                    NOW
                ),
                Step::DisconnectNow(target()),
                "{exp}"
            );
        }
        let Step::Schedule(schedule) = plan(
            &event(EventType::Connect, Some("alice"), Some(NOW + PRECISION + 1)),
            Some(NOW),
            NOW,
        ) else {
            panic!("61 s ahead is scheduled");
        };
        assert_eq!(schedule.at, NOW + 61);
    }

    #[test]
    fn a_schedule_is_never_later_than_two_hours_after_the_connect() {
        let at = |exp, logged_at| match plan(
            &event(EventType::Connect, Some("alice"), Some(exp)),
            logged_at,
            NOW,
        ) {
            Step::Schedule(schedule) => {
                assert_eq!(Some(schedule.expression), at_expression(schedule.at));
                Some(schedule.at)
            }
            _ => None,
        };
        let year = 365 * 24 * 3600;
        // A token valid a year: the schedule comes when API Gateway ends
        // the connection anyway.
        assert_eq!(at(NOW + year, Some(NOW - 100)), Some(NOW - 100 + 7200));
        // Its exp first, when that comes first.
        assert_eq!(at(NOW + 3600, Some(NOW - 100)), Some(NOW + 3600));
        // No time, or a time in the future: counted from now.
        assert_eq!(at(NOW + year, None), Some(NOW + 7200));
        assert_eq!(at(NOW + year, Some(NOW + 500)), Some(NOW + 7200));
        // A line read two hours late (a replay from the failure queue): its
        // connection is gone, and is ended at once, not scheduled in the past.
        assert_eq!(
            plan(
                &event(EventType::Connect, Some("alice"), Some(NOW + year)),
                Some(NOW - 7200 + 30),
                NOW
            ),
            Step::DisconnectNow(target())
        );
    }

    #[test]
    fn a_connection_without_subject_still_ends_at_exp_under_a_name_revoke_cannot_find() {
        assert_eq!(
            plan(
                &event(EventType::Connect, None, Some(NOW + 300)),
                Some(NOW),
                NOW
            ),
            Step::Schedule(Schedule {
                name: "nosubject-Dzl8bdcnDoECJZQ.".into(),
                at: NOW + 300,
                expression: "at(2025-11-30T04:05:00)".into(),
                target: Disconnect {
                    connection_id: "Dzl8bdcnDoECJZQ=".into(),
                    sub: None,
                },
            })
        );
        assert_eq!(
            plan(&event(EventType::Disconnect, None, None), None, NOW),
            Step::Unschedule("nosubject-Dzl8bdcnDoECJZQ.".into())
        );
    }

    #[test]
    fn a_disconnect_removes_the_schedule_of_the_same_name() {
        assert_eq!(
            plan(
                &event(EventType::Disconnect, Some("alice"), None),
                None,
                NOW
            ),
            Step::Unschedule("2bd806c97f0e00af-Dzl8bdcnDoECJZQ.".into())
        );
    }

    #[test]
    fn what_cannot_be_scheduled_is_skipped_with_its_reason() {
        assert_eq!(
            plan(&event(EventType::Connect, Some("alice"), None), None, NOW),
            Step::Skip(Skip::NoExp)
        );
        // Past the year 9999 only if the clock itself is.
        assert_eq!(
            plan(
                &event(EventType::Connect, Some("alice"), Some(u64::MAX)),
                None,
                u64::MAX - 7200
            ),
            Step::Skip(Skip::NoExp)
        );
        assert_eq!(
            plan(
                &event(EventType::Other, Some("alice"), Some(NOW + 1)),
                None,
                NOW
            ),
            Step::Skip(Skip::NotConnectOrDisconnect)
        );
        let mut odd = event(EventType::Connect, Some("alice"), Some(NOW + 1));
        odd.connection_id = "not an id".into();
        assert_eq!(plan(&odd, None, NOW), Step::Skip(Skip::BadConnectionId));
    }

    #[test]
    fn at_expressions_are_utc_calendar_times() {
        let at = |seconds| at_expression(seconds).unwrap();
        assert_eq!(at(NOW), "at(2025-11-30T04:00:00)");
        assert_eq!(at(0), "at(1970-01-01T00:00:00)");
        assert_eq!(at(951_782_399), "at(2000-02-28T23:59:59)");
        assert_eq!(at(951_868_800), "at(2000-03-01T00:00:00)");
        assert_eq!(at(4_107_542_400), "at(2100-03-01T00:00:00)");
        assert_eq!(at_expression(u64::MAX), None);
        assert_eq!(at_expression(253_402_300_800), None); // year 10000
    }
}
