//! The guard's jobs against fake services: every failure mode of the issue,
//! with exact outcomes and no I/O.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use session_guard::guard::schedule_input;
use session_guard::guard::FailedCall;
use session_guard::guard::DEADLINE_RESERVE;
use session_guard::naming::schedule_name;
use session_guard::plan::Schedule;
use session_guard::ports::{CallError, Connections, Created, Ended, Schedules};
use session_guard::retry::Backoff;
use session_guard::{Guard, GuardError, Input};

const NOW: u64 = 1_764_475_200;

/// Scheduler and the Management API in memory, with scripted throttling.
#[derive(Default)]
struct Fake {
    /// Schedule name → target input.
    schedules: Mutex<BTreeMap<String, (u64, String)>>,
    /// Open connections.
    open: Mutex<BTreeSet<String>>,
    /// Connections ended, in order.
    ended: Mutex<Vec<String>>,
    /// How many more calls of each kind answer ThrottlingException.
    throttle_creates: Mutex<u32>,
    /// Every call fails for good (permissions, say).
    broken: bool,
    /// How long each CreateSchedule and DeleteConnection takes.
    latency: Duration,
    /// CreateSchedule calls running now, and the most at once.
    in_flight: Mutex<(usize, usize)>,
}

impl Fake {
    fn with_open(ids: &[&str]) -> Self {
        let fake = Fake::default();
        fake.open
            .lock()
            .unwrap()
            .extend(ids.iter().map(|id| (*id).to_owned()));
        fake
    }

    fn names(&self) -> Vec<String> {
        self.schedules.lock().unwrap().keys().cloned().collect()
    }

    fn guard(&self) -> Guard<&Fake, &Fake> {
        Guard {
            schedules: self,
            connections: self,
            backoff: Backoff {
                attempts: 3,
                first: Duration::from_millis(10),
                max: Duration::from_millis(40),
            },
            concurrency: 4,
        }
    }
}

impl Schedules for &Fake {
    async fn create(&self, schedule: &Schedule) -> Result<Created, CallError> {
        if self.broken {
            return Err(CallError::Failed("AccessDeniedException".into()));
        }
        {
            let mut throttle = self.throttle_creates.lock().unwrap();
            if *throttle > 0 {
                *throttle -= 1;
                return Err(CallError::Retryable("ThrottlingException".into()));
            }
        }
        if !self.latency.is_zero() {
            {
                let mut in_flight = self.in_flight.lock().unwrap();
                in_flight.0 += 1;
                in_flight.1 = in_flight.1.max(in_flight.0);
            }
            tokio::time::sleep(self.latency).await;
            self.in_flight.lock().unwrap().0 -= 1;
        }
        let input = schedule_input(&schedule.target).unwrap();
        let mut schedules = self.schedules.lock().unwrap();
        if schedules.contains_key(&schedule.name) {
            return Ok(Created::AlreadyExists);
        }
        schedules.insert(schedule.name.clone(), (schedule.at, input));
        Ok(Created::New)
    }

    async fn delete(&self, name: &str) -> Result<(), CallError> {
        self.schedules.lock().unwrap().remove(name);
        Ok(())
    }

    async fn list(&self, _prefix: &str) -> Result<Vec<String>, CallError> {
        if self.broken {
            return Err(CallError::Failed("AccessDeniedException".into()));
        }
        // Like moto's, this listing ignores the prefix: the guard must
        // filter by itself.
        Ok(self.names())
    }

    async fn target_input(&self, name: &str) -> Result<Option<String>, CallError> {
        Ok(self
            .schedules
            .lock()
            .unwrap()
            .get(name)
            .map(|(_, input)| input.clone()))
    }
}

impl Connections for &Fake {
    async fn end(&self, connection_id: &str) -> Result<Ended, CallError> {
        if self.broken {
            return Err(CallError::Failed("AccessDeniedException".into()));
        }
        tokio::time::sleep(self.latency).await;
        self.ended.lock().unwrap().push(connection_id.to_owned());
        if self.open.lock().unwrap().remove(connection_id) {
            Ok(Ended::Closed)
        } else {
            Ok(Ended::AlreadyGone)
        }
    }
}

fn delivery(lines: &[String]) -> Input {
    delivery_at(lines, NOW)
}

/// A delivery of `lines`, logged at `logged_at` (seconds).
fn delivery_at(lines: &[String], logged_at: u64) -> Input {
    let events: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| json!({"id": i.to_string(), "timestamp": logged_at * 1000, "message": line}))
        .collect();
    let envelope = json!({"messageType": "DATA_MESSAGE", "owner": "123456789012",
        "logGroup": "/aws/apigateway/ws", "logStream": "s", "subscriptionFilters": ["guard"],
        "logEvents": events});
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(envelope.to_string().as_bytes()).unwrap();
    Input::Awslogs {
        data: base64::engine::general_purpose::STANDARD.encode(encoder.finish().unwrap()),
    }
}

fn connect(id: &str, sub: &str, exp: &str) -> String {
    json!({"requestTime": "30/Nov/2025:04:00:00 +0000", "eventType": "CONNECT",
           "routeKey": "$connect", "status": "200", "connectionId": id,
           "principalId": sub, "sub": sub, "exp": exp})
    .to_string()
}

fn disconnect(id: &str, sub: &str) -> String {
    json!({"eventType": "DISCONNECT", "routeKey": "$disconnect", "connectionId": id,
           "principalId": sub, "sub": sub, "exp": "-"})
    .to_string()
}

fn report(pairs: Value) -> Value {
    let mut report = json!({"lines": 0, "scheduled": 0, "alreadyScheduled": 0,
        "disconnectedNow": 0, "unscheduled": 0, "malformed": 0, "withoutExp": 0,
        "withoutSubject": 0, "unreadableSubject": 0, "badConnectionId": 0, "other": 0,
        "failed": 0, "deferred": 0});
    for (key, value) in pairs.as_object().unwrap() {
        report[key] = value.clone();
    }
    report
}

#[tokio::test]
async fn a_connect_is_scheduled_at_exp_and_its_disconnect_unschedules() {
    let fake = Fake::default();
    let exp = (NOW + 600).to_string();
    let out = fake
        .guard()
        .handle(delivery(&[connect("AAA=", "alice", &exp)]), NOW)
        .await
        .unwrap();
    assert_eq!(out, report(json!({"lines": 1, "scheduled": 1})));
    let name = schedule_name("alice", "AAA=").unwrap();
    assert_eq!(
        fake.schedules.lock().unwrap().get(&name),
        Some(&(
            NOW + 600,
            r#"{"disconnect":{"connectionId":"AAA=","sub":"alice"}}"#.to_owned()
        ))
    );
    let out = fake
        .guard()
        .handle(delivery(&[disconnect("AAA=", "alice")]), NOW + 5)
        .await
        .unwrap();
    assert_eq!(out, report(json!({"lines": 1, "unscheduled": 1})));
    assert!(fake.names().is_empty());
}

#[tokio::test]
async fn malformed_lines_are_skipped_counted_and_the_rest_goes_on() {
    let fake = Fake::default();
    let exp = (NOW + 600).to_string();
    let lines = [
        "not json".to_owned(),
        connect("AAA=", "alice", &exp),
        r#"{"eventType":"CONNECT"}"#.to_owned(),
        connect("BBB=", "bob", "tomorrow"),
        connect("CCC=", "carol", &exp),
    ];
    let out = fake.guard().handle(delivery(&lines), NOW).await.unwrap();
    assert_eq!(
        out,
        report(json!({"lines": 5, "scheduled": 2, "malformed": 3}))
    );
    assert_eq!(fake.names().len(), 2);
}

#[tokio::test]
async fn a_connect_without_exp_is_counted_not_scheduled() {
    let fake = Fake::default();
    let lines = [
        connect("AAA=", "alice", "-"),
        json!({"eventType": "MESSAGE", "connectionId": "AAA="}).to_string(),
    ];
    let out = fake.guard().handle(delivery(&lines), NOW).await.unwrap();
    assert_eq!(
        out,
        report(json!({"lines": 2, "withoutExp": 1, "other": 1}))
    );
    assert!(fake.names().is_empty());
}

#[tokio::test]
async fn a_connection_logged_with_subject_dash_ends_at_exp_but_no_revoke_reaches_it() {
    // API Gateway writes "-" for a token without `sub` (and for an empty
    // principal): "-" is never a subject.
    let fake = Fake::with_open(&["BBB="]);
    let exp = (NOW + 600).to_string();
    let out = fake
        .guard()
        .handle(delivery(&[connect("BBB=", "-", &exp)]), NOW)
        .await
        .unwrap();
    assert_eq!(
        out,
        report(json!({"lines": 1, "scheduled": 1, "withoutSubject": 1}))
    );
    assert_eq!(
        *fake.schedules.lock().unwrap(),
        BTreeMap::from([(
            "nosubject-BBB.".to_owned(),
            (
                NOW + 600,
                r#"{"disconnect":{"connectionId":"BBB="}}"#.to_owned()
            )
        )])
    );
    for sub in ["-", ""] {
        let refused = fake
            .guard()
            .handle(Input::Revoke { sub: sub.into() }, NOW)
            .await;
        assert!(
            matches!(&refused, Err(GuardError::NotASubject(s)) if s == sub),
            "{refused:?}"
        );
    }
    assert!(fake.ended.lock().unwrap().is_empty());
    // Its schedule fires at exp with no subject: the connection ends.
    let fired =
        session_guard::parse_input(json!({"disconnect": {"connectionId": "BBB="}})).unwrap();
    assert_eq!(
        fake.guard().handle(fired, NOW + 600).await.unwrap(),
        json!({"connectionId": "BBB=", "outcome": "closed"})
    );
    // Its DISCONNECT, also without subject, removes the same schedule.
    let out = fake
        .guard()
        .handle(delivery(&[disconnect("BBB=", "-")]), NOW)
        .await
        .unwrap();
    assert_eq!(
        out,
        report(json!({"lines": 1, "unscheduled": 1, "withoutSubject": 1}))
    );
    assert!(fake.names().is_empty());
}

#[tokio::test]
async fn without_sub_the_principal_is_the_subject() {
    let fake = Fake::default();
    let line = json!({"eventType": "CONNECT", "status": "200", "connectionId": "CCC=",
        "principalId": "svc-1", "sub": "-", "exp": (NOW + 600).to_string()})
    .to_string();
    let out = fake.guard().handle(delivery(&[line]), NOW).await.unwrap();
    assert_eq!(out, report(json!({"lines": 1, "scheduled": 1})));
    assert_eq!(fake.names(), [schedule_name("svc-1", "CCC=").unwrap()]);
}

#[tokio::test]
async fn the_same_delivery_twice_schedules_once() {
    let fake = Fake::default();
    let batch = || delivery(&[connect("AAA=", "alice", &(NOW + 600).to_string())]);
    let first = fake.guard().handle(batch(), NOW).await.unwrap();
    let second = fake.guard().handle(batch(), NOW).await.unwrap();
    assert_eq!(first, report(json!({"lines": 1, "scheduled": 1})));
    assert_eq!(second, report(json!({"lines": 1, "alreadyScheduled": 1})));
    assert_eq!(fake.names(), [schedule_name("alice", "AAA=").unwrap()]);
}

#[tokio::test]
async fn a_token_expired_or_within_a_minute_when_read_is_ended_at_once() {
    // Clock skew, or a delivery slower than the token's life; or less than
    // Scheduler's minute of precision left: no schedule in the past.
    let fake = Fake::with_open(&["AAA=", "BBB="]);
    let out = fake
        .guard()
        .handle(
            delivery(&[
                connect("AAA=", "alice", &(NOW - 2).to_string()),
                connect("BBB=", "bob", &(NOW + 30).to_string()),
            ]),
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(out, report(json!({"lines": 2, "disconnectedNow": 2})));
    let mut ended = fake.ended.lock().unwrap().clone();
    ended.sort();
    assert_eq!(ended, ["AAA=", "BBB="]);
    assert!(fake.open.lock().unwrap().is_empty());
    assert!(fake.names().is_empty());
}

#[tokio::test]
async fn a_long_lived_token_is_scheduled_two_hours_after_its_connect() {
    let fake = Fake::default();
    // The line was logged (the connection opened) 100 s before it is read.
    let mut batch = delivery_at(
        &[connect("AAA=", "alice", &(NOW + 86_400).to_string())],
        NOW - 100,
    );
    let out = fake.guard().handle(batch.clone(), NOW).await.unwrap();
    assert_eq!(out, report(json!({"lines": 1, "scheduled": 1})));
    let name = schedule_name("alice", "AAA=").unwrap();
    assert_eq!(
        fake.schedules.lock().unwrap().get(&name).map(|(at, _)| *at),
        Some(NOW - 100 + 7200)
    );
    // Read again two hours later (a replay from the failure queue): the
    // connection is past API Gateway's limit, ended at once, not scheduled.
    fake.schedules.lock().unwrap().clear();
    batch = delivery_at(
        &[connect("AAA=", "alice", &(NOW + 86_400).to_string())],
        NOW - 7200,
    );
    let out = fake.guard().handle(batch, NOW).await.unwrap();
    assert_eq!(out, report(json!({"lines": 1, "disconnectedNow": 1})));
    assert!(fake.names().is_empty());
}

#[tokio::test(start_paused = true)]
async fn throttling_is_retried_with_backoff() {
    let fake = Fake::default();
    *fake.throttle_creates.lock().unwrap() = 2;
    let started = tokio::time::Instant::now();
    let out = fake
        .guard()
        .handle(
            delivery(&[connect("AAA=", "alice", &(NOW + 600).to_string())]),
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(out, report(json!({"lines": 1, "scheduled": 1})));
    assert_eq!(started.elapsed(), Duration::from_millis(10 + 20));
}

/// A connection's lines run in log order even when the batch runs many
/// connections at once: its DISCONNECT waits for the throttled CONNECT's
/// schedule and deletes it, leaving none behind.
#[tokio::test(start_paused = true)]
async fn a_connect_and_its_disconnect_in_one_batch_leave_no_schedule() {
    let fake = Fake::default();
    *fake.throttle_creates.lock().unwrap() = 1;
    let exp = (NOW + 600).to_string();
    let out = fake
        .guard()
        .handle(
            delivery(&[
                connect("AAA=", "alice", &exp),
                connect("BBB=", "bob", &exp),
                disconnect("AAA=", "alice"),
            ]),
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(
        out,
        report(json!({"lines": 3, "scheduled": 2, "unscheduled": 1}))
    );
    assert_eq!(fake.names().len(), 1, "{:?}", fake.names());
    assert!(fake.names()[0].ends_with("-BBB."), "{:?}", fake.names());
}

#[tokio::test(start_paused = true)]
async fn throttling_that_outlasts_the_retries_fails_the_batch_for_redelivery() {
    let fake = Fake::default();
    *fake.throttle_creates.lock().unwrap() = 3;
    let batch = || {
        delivery(&[
            connect("AAA=", "alice", &(NOW + 600).to_string()),
            connect("BBB=", "bob", &(NOW + 600).to_string()),
        ])
    };
    // One line at a time, so that the scripted throttling meets the lines
    // in order: the first uses up every try.
    let guard = Guard {
        concurrency: 1,
        ..fake.guard()
    };
    let Err(GuardError::IncompleteBatch {
        report: partial,
        failures,
        deferred: 0,
    }) = guard.handle(batch(), NOW).await
    else {
        panic!("the batch should fail");
    };
    // The error names the call and the connection that failed.
    assert_eq!(
        failures,
        [FailedCall {
            call: "CreateSchedule",
            target: "connection AAA=".into(),
            error: CallError::Retryable("ThrottlingException".into()),
        }]
    );
    assert_eq!(
        partial,
        report(json!({"lines": 2, "scheduled": 1, "failed": 1}))
    );
    // Lambda runs the batch again (its asynchronous retry): the rest is scheduled, and
    // what was done is not done twice.
    let out = fake.guard().handle(batch(), NOW).await.unwrap();
    assert_eq!(
        out,
        report(json!({"lines": 2, "scheduled": 1, "alreadyScheduled": 1}))
    );
    assert_eq!(fake.names().len(), 2);
}

#[tokio::test]
async fn a_lasting_failure_is_not_retried_and_fails_the_invocation() {
    let fake = Fake {
        broken: true,
        ..Fake::default()
    };
    let out = fake
        .guard()
        .handle(
            delivery(&[connect("AAA=", "alice", &(NOW + 600).to_string())]),
            NOW,
        )
        .await;
    let Err(error @ GuardError::IncompleteBatch { .. }) = out else {
        panic!("{out:?}");
    };
    assert_eq!(error.error_type(), "IncompleteBatch");
    assert!(
        error.to_string().starts_with(
            "batch incomplete: CreateSchedule for connection AAA= failed: failed: AccessDeniedException; report {"
        ),
        "{error}"
    );
    let out = fake
        .guard()
        .handle(
            Input::Disconnect(session_guard::plan::Disconnect {
                connection_id: "AAA=".into(),
                sub: Some("alice".into()),
            }),
            NOW,
        )
        .await;
    let Err(error) = out else {
        panic!("{out:?}");
    };
    assert_eq!(
        error,
        GuardError::DisconnectFailed(FailedCall {
            call: "DeleteConnection",
            target: "connection AAA=".into(),
            error: CallError::Failed("AccessDeniedException".into()),
        })
    );
    assert_eq!(error.error_type(), "DisconnectFailed");
    assert_eq!(
        error.to_string(),
        "DeleteConnection for connection AAA= failed: failed: AccessDeniedException"
    );
    // A revoke names each call that failed.
    let out = fake
        .guard()
        .handle(
            Input::Revoke {
                sub: "alice".into(),
            },
            NOW,
        )
        .await;
    let Err(error @ GuardError::RevokeIncomplete { .. }) = out else {
        panic!("{out:?}");
    };
    assert_eq!(error.error_type(), "RevokeIncomplete");
    assert!(
        error
            .to_string()
            .starts_with("revoke incomplete: ListSchedules for prefix 2bd806c97f0e00af- failed: failed: AccessDeniedException; report {"),
        "{error}"
    );
}

#[tokio::test]
async fn an_unreadable_delivery_fails_whole() {
    let out = Fake::default()
        .guard()
        .handle(Input::Awslogs { data: "%%".into() }, NOW)
        .await;
    let Err(error) = out else {
        panic!("{out:?}");
    };
    assert_eq!(
        error,
        GuardError::UnreadableDelivery(session_guard::access_log::BatchError::Base64)
    );
    assert_eq!(error.error_type(), "UnreadableDelivery");
    assert_eq!(
        error.to_string(),
        "unreadable delivery: awslogs.data is not base64"
    );
}

#[tokio::test]
async fn a_schedule_firing_ends_the_connection_and_410_is_done() {
    let fake = Fake::with_open(&["AAA="]);
    let fire = || {
        Input::Disconnect(session_guard::plan::Disconnect {
            connection_id: "AAA=".into(),
            sub: Some("alice".into()),
        })
    };
    let first = fake.guard().handle(fire(), NOW).await.unwrap();
    assert_eq!(first, json!({"connectionId": "AAA=", "outcome": "closed"}));
    // Fired again (Scheduler retries), or after the client left: 410, done.
    let again = fake.guard().handle(fire(), NOW).await.unwrap();
    assert_eq!(
        again,
        json!({"connectionId": "AAA=", "outcome": "alreadyGone"})
    );
}

#[tokio::test]
async fn revoke_ends_exactly_that_subjects_connections() {
    let fake = Fake::with_open(&["A1==", "A2==", "B1==", "A3=="]);
    let exp = (NOW + 600).to_string();
    let lines = [
        connect("A1==", "alice", &exp),
        connect("B1==", "bob", &exp),
        connect("A2==", "alice", &exp),
        connect("A3==", "alice", &exp),
        // "alice " is another subject, with another hash.
        connect("X1==", "alice ", &exp),
    ];
    fake.guard().handle(delivery(&lines), NOW).await.unwrap();
    // A3 left before the revoke (its DISCONNECT not yet delivered).
    fake.open.lock().unwrap().remove("A3==");
    // A schedule whose name carries alice's prefix but whose input is
    // bob's (a hash collision, or a forged name): left alone.
    let forged = schedule_name("alice", "Z9==").unwrap();
    fake.schedules.lock().unwrap().insert(
        forged.clone(),
        (
            NOW + 600,
            r#"{"disconnect":{"connectionId":"B1==","sub":"bob"}}"#.into(),
        ),
    );
    let out = fake
        .guard()
        .handle(
            Input::Revoke {
                sub: "alice".into(),
            },
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(
        out,
        json!({"sub": "alice", "ended": ["A1==", "A2=="], "alreadyGone": ["A3=="],
               "leftAlone": 1, "failed": 0, "deferred": 0})
    );
    assert_eq!(
        *fake.open.lock().unwrap(),
        BTreeSet::from(["B1==".to_owned()])
    );
    let mut left = fake.names();
    left.sort();
    let mut expected = vec![
        schedule_name("bob", "B1==").unwrap(),
        schedule_name("alice ", "X1==").unwrap(),
        forged,
    ];
    expected.sort();
    assert_eq!(left, expected);
    // Nothing left to end.
    let again = fake
        .guard()
        .handle(
            Input::Revoke {
                sub: "alice".into(),
            },
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(
        again,
        json!({"sub": "alice", "ended": [], "alreadyGone": [], "leftAlone": 1, "failed": 0, "deferred": 0})
    );
}

fn connects(count: usize) -> Vec<String> {
    (0..count)
        .map(|i| connect(&format!("C{i:03}="), "alice", &(NOW + 600).to_string()))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_large_batch_runs_at_most_concurrency_lines_at_once() {
    let fake = Fake {
        latency: Duration::from_millis(100),
        ..Fake::default()
    };
    let started = tokio::time::Instant::now();
    let out = fake
        .guard()
        .handle(delivery(&connects(40)), NOW)
        .await
        .unwrap();
    assert_eq!(out, report(json!({"lines": 40, "scheduled": 40})));
    // Four at a time (the fake guard's concurrency): ten rounds of 100 ms,
    // not forty, and never a fifth call at once.
    assert_eq!(started.elapsed(), Duration::from_millis(1000));
    assert_eq!(fake.in_flight.lock().unwrap().1, 4);
    assert_eq!(fake.names().len(), 40);
}

#[tokio::test(start_paused = true)]
async fn near_the_deadline_no_line_starts_and_the_batch_fails_for_a_retry() {
    let fake = Fake {
        latency: Duration::from_secs(1),
        ..Fake::default()
    };
    let batch = || delivery(&connects(14));
    let started = tokio::time::Instant::now();
    // 2.5 s of work before the reserve: two rounds of four finish, the third
    // round of four is cut off at 2.5 s, and the last two lines never start.
    let deadline = started + DEADLINE_RESERVE + Duration::from_millis(2500);
    let Err(GuardError::IncompleteBatch {
        report: partial,
        failures,
        deferred: 6,
    }) = fake
        .guard()
        .handle_until(batch(), NOW, Some(deadline))
        .await
    else {
        panic!("the batch must fail so that Lambda runs it again");
    };
    assert!(failures.is_empty());
    assert_eq!(
        partial,
        report(json!({"lines": 14, "scheduled": 8, "deferred": 6}))
    );
    assert_eq!(started.elapsed(), Duration::from_millis(2500));
    assert_eq!(fake.names().len(), 8);
    // Lambda's retry, with time enough: only what is missing is done.
    let out = fake.guard().handle(batch(), NOW).await.unwrap();
    assert_eq!(
        out,
        report(json!({"lines": 14, "scheduled": 6, "alreadyScheduled": 8}))
    );
}

#[tokio::test(start_paused = true)]
async fn a_revoke_near_the_deadline_ends_what_it_can_and_fails_for_another_run() {
    let ids = ["A1==", "A2==", "A3==", "A4==", "A5=="];
    let fake = Fake {
        latency: Duration::from_secs(1),
        ..Fake::with_open(&ids)
    };
    let lines: Vec<String> = ids
        .iter()
        .map(|id| connect(id, "alice", &(NOW + 600).to_string()))
        .collect();
    fake.guard().handle(delivery(&lines), NOW).await.unwrap();
    let revoke = || Input::Revoke {
        sub: "alice".into(),
    };
    // One DeleteConnection a second, 2.5 s of work: two end, the third is
    // cut off while it runs, the last two are not started.
    let started = tokio::time::Instant::now();
    let deadline = started + DEADLINE_RESERVE + Duration::from_millis(2500);
    let Err(GuardError::RevokeIncomplete {
        report: partial,
        deferred: 3,
        ..
    }) = fake
        .guard()
        .handle_until(revoke(), NOW, Some(deadline))
        .await
    else {
        panic!("a revoke cut short must fail");
    };
    assert_eq!(
        partial,
        json!({"sub": "alice", "ended": ["A1==", "A2=="], "alreadyGone": [], "leftAlone": 0,
               "failed": 0, "deferred": 3})
    );
    assert_eq!(started.elapsed(), Duration::from_millis(2500));
    assert_eq!(fake.open.lock().unwrap().len(), 3);
    // Run again: the rest.
    let out = fake.guard().handle(revoke(), NOW).await.unwrap();
    assert_eq!(
        out,
        json!({"sub": "alice", "ended": ["A3==", "A4==", "A5=="], "alreadyGone": [],
               "leftAlone": 0, "failed": 0, "deferred": 0})
    );
    assert!(fake.open.lock().unwrap().is_empty());
    assert!(fake.names().is_empty());
}

/// A CONNECT line of the shipped format whose `sub` and `principalId` are
/// `raw`, the text between the quotes as the logger wrote it.
fn connect_logged(id: &str, raw: &str, exp: u64) -> String {
    format!(
        r#"{{"requestId":"r","requestTime":"30/Nov/2025:04:00:00 +0000","eventType":"CONNECT","routeKey":"$connect","status":"200","connectionId":"{id}","principalId":"{raw}","sub":"{raw}","exp":"{exp}"}}"#
    )
}

/// Its DISCONNECT line.
fn disconnect_logged(id: &str, raw: &str) -> String {
    format!(
        r#"{{"requestId":"r","requestTime":"30/Nov/2025:04:00:00 +0000","eventType":"DISCONNECT","routeKey":"$disconnect","status":"200","connectionId":"{id}","principalId":"{raw}","sub":"{raw}","exp":"-"}}"#
    )
}

fn revoke(sub: &str) -> Input {
    Input::Revoke { sub: sub.into() }
}

/// A subject written with an escape is filed exactly or not at all: a
/// JSON reader would file `\u0061lice` (written as it came) under `alice`,
/// `bob\\` under `bob\` and `carol\/` under `carol/`, and the JSON-escaped
/// `\\u0061lice` under `\u0061lice`, which a logger that leaves backslashes
/// alone writes for another subject. Such connections still end at their
/// `exp`; no revoke reaches them, and none reaches another's.
#[tokio::test]
async fn a_subject_logged_with_an_escape_is_filed_exactly_or_without_subject() {
    let ids = ["A1==", "E1==", "E2==", "E3==", "E4==", "Q1=="];
    let fake = Fake::with_open(&ids);
    let exp = NOW + 600;
    let lines = [
        connect_logged("A1==", "alice", exp),
        // Written as it came: the subject `\u0061lice`, or (JSON) `alice`.
        connect_logged("E1==", r"\u0061lice", exp),
        // JSON-escaped: the subject `\u0061lice`, or (as it came) `\\u0061lice`.
        connect_logged("E2==", r"\\u0061lice", exp),
        connect_logged("E3==", r"bob\\", exp),
        connect_logged("E4==", r"carol\/", exp),
        // A quote, escaped by either kind of logger: read back exactly.
        connect_logged("Q1==", r#"o\"hara"#, exp),
    ];
    let out = fake.guard().handle(delivery(&lines), NOW).await.unwrap();
    assert_eq!(
        out,
        report(json!({"lines": 6, "scheduled": 6, "withoutSubject": 4, "unreadableSubject": 4}))
    );
    let mut names = fake.names();
    names.sort();
    let mut expected = vec![
        schedule_name("alice", "A1==").unwrap(),
        schedule_name(r#"o"hara"#, "Q1==").unwrap(),
        "nosubject-E1..".to_owned(),
        "nosubject-E2..".to_owned(),
        "nosubject-E3..".to_owned(),
        "nosubject-E4..".to_owned(),
    ];
    expected.sort();
    assert_eq!(names, expected);
    assert_eq!(
        fake.schedules.lock().unwrap()["nosubject-E1.."].1,
        r#"{"disconnect":{"connectionId":"E1=="}}"#
    );

    // `revoke --sub alice` ends alice's connection, not the `\u0061lice` one;
    // `carol/` reaches nothing either.
    assert_eq!(
        fake.guard().handle(revoke("alice"), NOW).await.unwrap(),
        json!({"sub": "alice", "ended": ["A1=="], "alreadyGone": [], "leftAlone": 0,
               "failed": 0, "deferred": 0})
    );
    assert_eq!(
        fake.guard().handle(revoke("carol/"), NOW).await.unwrap(),
        json!({"sub": "carol/", "ended": [], "alreadyGone": [], "leftAlone": 0,
               "failed": 0, "deferred": 0})
    );
    // No subject with a backslash is ever filed: revoking one is refused,
    // saying so, rather than answering that nothing was found.
    for sub in [r"\u0061lice", r"\\u0061lice", r"bob\", r"bob\\", r"carol\/"] {
        let refused = fake.guard().handle(revoke(sub), NOW).await;
        let Err(error @ GuardError::NotASubject(_)) = refused else {
            panic!("{sub}: {refused:?}");
        };
        assert!(error.to_string().contains("backslash"), "{error}");
    }
    assert_eq!(*fake.ended.lock().unwrap(), ["A1=="]);

    // The escaped quote was read back: its revoke ends it.
    assert_eq!(
        fake.guard().handle(revoke(r#"o"hara"#), NOW).await.unwrap(),
        json!({"sub": "o\"hara", "ended": ["Q1=="], "alreadyGone": [], "leftAlone": 0,
               "failed": 0, "deferred": 0})
    );

    // The others end at exp, when their schedule fires.
    let fired = fake.schedules.lock().unwrap()["nosubject-E1.."].1.clone();
    let fired = session_guard::parse_input(serde_json::from_str(&fired).unwrap()).unwrap();
    assert_eq!(
        fake.guard().handle(fired, exp).await.unwrap(),
        json!({"connectionId": "E1==", "outcome": "closed"})
    );
    // And a DISCONNECT, logged the same way, removes the same schedule.
    let out = fake
        .guard()
        .handle(delivery(&[disconnect_logged("E2==", r"\\u0061lice")]), NOW)
        .await
        .unwrap();
    assert_eq!(
        out,
        report(json!({"lines": 1, "unscheduled": 1, "withoutSubject": 1, "unreadableSubject": 1}))
    );
    assert!(!fake.names().contains(&"nosubject-E2..".to_owned()));
}
