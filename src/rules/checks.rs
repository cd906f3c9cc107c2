//! Checks as data: each check is a value with its name, the setting that
//! tunes it, the reason codes it can give, a verdict and the details of
//! what it compared. A `$connect` runs the lists and stops at the first
//! failure; `explain` runs the very same lists with an [`Observer`] that
//! records every step, so the two cannot disagree.

use crate::error::Refusal;

/// Whether a check runs for this configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// The check runs.
    Check,
    /// The configuration turns the check off; `explain` shows it skipped.
    Skip,
    /// The check does not apply to this configuration at all; `explain`
    /// leaves it out.
    Omit,
}

/// One check of a subject `S` (the verified claims with their rules, the
/// request with its access rules).
pub struct Check<S> {
    /// A stable name, as `explain` shows it.
    pub name: &'static str,
    /// The variable that turns the check on or tunes it.
    pub setting: &'static str,
    /// The reason codes a failure of this check is logged with.
    pub reasons: &'static [Refusal],
    /// Whether the check runs.
    pub applies: fn(&S) -> Use,
    /// Passes, or gives the refusal.
    pub verdict: fn(&S) -> Result<(), Refusal>,
    /// What was compared with what (actual and expected), for a person;
    /// computed only when someone watches.
    pub detail: fn(&S) -> String,
}

/// Who watches the pipeline. A `$connect` runs with `()`, which records
/// nothing and stops at the first failure; the details are never computed.
pub trait Observer {
    /// Whether every check runs after a failure, so that all problems show
    /// at once (the verdict is still the first failure).
    const RECORDS: bool;

    /// A check ran; `detail` says what it compared.
    fn record(
        &mut self,
        name: &'static str,
        result: Result<(), Refusal>,
        detail: impl FnOnce() -> String,
    );

    /// A check the configuration turns off.
    fn skip(&mut self, name: &'static str, detail: impl FnOnce() -> String);

    /// The token was found (before any check of its content).
    fn token(&mut self, _token: &str) {}

    /// The signature verified and these are the token's claims.
    fn verified(&mut self, _claims: &serde_json::Map<String, serde_json::Value>) {}
}

impl Observer for () {
    const RECORDS: bool = false;

    fn record(&mut self, _: &'static str, _: Result<(), Refusal>, _: impl FnOnce() -> String) {}

    fn skip(&mut self, _: &'static str, _: impl FnOnce() -> String) {}
}

/// Runs `checks` in order on `subject`; the first failure is the verdict.
pub fn run<S, O: Observer>(
    checks: &[Check<S>],
    subject: &S,
    observer: &mut O,
) -> Result<(), Refusal> {
    let mut first = Ok(());
    for check in checks {
        match (check.applies)(subject) {
            Use::Omit => {}
            Use::Skip => observer.skip(check.name, || (check.detail)(subject)),
            Use::Check => {
                let result = (check.verdict)(subject);
                observer.record(check.name, result, || (check.detail)(subject));
                if result.is_err() && first.is_ok() {
                    first = result;
                    if !O::RECORDS {
                        break;
                    }
                }
            }
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records `name:status:detail` for each step.
    #[derive(Default)]
    struct Steps(Vec<String>);

    impl Observer for Steps {
        const RECORDS: bool = true;

        fn record(
            &mut self,
            name: &'static str,
            result: Result<(), Refusal>,
            detail: impl FnOnce() -> String,
        ) {
            let status = result.map_or_else(|refusal| refusal.code(), |()| "pass");
            self.0.push(format!("{name}:{status}:{}", detail()));
        }

        fn skip(&mut self, name: &'static str, detail: impl FnOnce() -> String) {
            self.0.push(format!("{name}:skipped:{}", detail()));
        }
    }

    /// The subject says whether checks apply and which refusal they give.
    type Subject = (Use, Option<Refusal>);

    fn check(name: &'static str) -> Check<Subject> {
        Check {
            name,
            setting: "V",
            reasons: &[],
            applies: |subject| subject.0,
            verdict: |subject| subject.1.map_or(Ok(()), Err),
            detail: |_| "d".to_owned(),
        }
    }

    /// The silent verdict, the recorded verdict and the steps recorded.
    fn both_ways(subject: Subject) -> (Result<(), Refusal>, Vec<String>) {
        let list = [check("a"), check("b")];
        let silent = run(&list, &subject, &mut ());
        let mut steps = Steps::default();
        let recorded = run(&list, &subject, &mut steps);
        assert_eq!(silent, recorded);
        (recorded, steps.0)
    }

    #[test]
    fn explain_sees_every_step_and_gets_the_same_verdict() {
        assert_eq!(
            both_ways((Use::Check, Some(Refusal::Expired))),
            (
                Err(Refusal::Expired),
                vec!["a:expired:d".into(), "b:expired:d".into()]
            )
        );
        assert_eq!(
            both_ways((Use::Check, None)),
            (Ok(()), vec!["a:pass:d".into(), "b:pass:d".into()])
        );
        assert_eq!(
            both_ways((Use::Skip, Some(Refusal::Expired))),
            (Ok(()), vec!["a:skipped:d".into(), "b:skipped:d".into()])
        );
        assert_eq!(
            both_ways((Use::Omit, Some(Refusal::Expired))),
            (Ok(()), vec![])
        );
    }

    #[test]
    fn a_decision_stops_at_the_first_failure_without_computing_details() {
        let list: [Check<()>; 3] = [
            Check {
                name: "first",
                setting: "V",
                reasons: &[Refusal::Expired],
                applies: |_| Use::Check,
                verdict: |_| Err(Refusal::Expired),
                detail: |_| unreachable!("a silent run computes no detail"),
            },
            Check {
                name: "second",
                setting: "V",
                reasons: &[Refusal::WrongAudience],
                applies: |_| Use::Check,
                verdict: |_| unreachable!("a decision stops at the first failure"),
                detail: |_| unreachable!("a silent run computes no detail"),
            },
            Check {
                name: "third",
                setting: "V",
                reasons: &[],
                applies: |_| Use::Check,
                verdict: |_| Ok(()),
                detail: |_| String::new(),
            },
        ];
        assert_eq!(run(&list, &(), &mut ()), Err(Refusal::Expired));
    }
}
