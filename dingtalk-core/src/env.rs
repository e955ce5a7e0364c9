//! A robot configured by named settings: from the process's environment
//! ([`Robot::from_env`], [`Robot::from_env_prefixed`]) or from any lookup of names
//! ([`Robot::from_lookup`]), which is what the other two are built on. Tests configure a robot
//! through a lookup, so that they need not change the process's environment (`set_var`, which
//! races with every other thread that reads it, and is `unsafe` for that reason).

use crate::error::Error;
use crate::robot::{KEYWORD_SEPARATORS, Robot, RobotBuilder};

/// The settings' names, without a prefix.
const WEBHOOK: &str = "DINGTALK_WEBHOOK";
const SECRET: &str = "DINGTALK_SECRET";
const KEYWORDS: &str = "DINGTALK_KEYWORDS";

impl Robot {
    /// A robot configured from the environment: `DINGTALK_WEBHOOK` (required),
    /// `DINGTALK_SECRET` and `DINGTALK_KEYWORDS` (a list separated by
    /// [`KEYWORD_SEPARATORS`]), where set and not empty. A variable that is not valid
    /// Unicode counts as not set.
    ///
    /// It is [`from_lookup`](Robot::from_lookup) reading `std::env::var`: give a test its
    /// settings through `from_lookup` rather than by changing the environment.
    pub fn from_env() -> Result<Robot, Error> {
        Robot::from_lookup(|name| std::env::var(name).ok())
    }

    /// A robot configured from variables named with `prefix` and an underscore before the
    /// usual names: `from_env_prefixed("OPS")` reads `OPS_DINGTALK_WEBHOOK` (required),
    /// `OPS_DINGTALK_SECRET` and `OPS_DINGTALK_KEYWORDS`, for a program that sends to several
    /// robots, or keeps all of its settings under its own prefix (`MYAPP_DINGTALK_WEBHOOK`).
    /// A prefix that ends with `_` already gets no second one; an empty prefix reads the
    /// names of [`from_env`](Robot::from_env). Names are used as written: `"ops"` reads
    /// `ops_DINGTALK_WEBHOOK`. The unprefixed variables are not read.
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::{ErrorKind, Robot};
    ///
    /// # // A name no environment sets.
    /// let e = Robot::from_env_prefixed("NO_SUCH_APP_7F3A").unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    /// assert!(e.to_string().contains("NO_SUCH_APP_7F3A_DINGTALK_WEBHOOK is not set"));
    /// ```
    pub fn from_env_prefixed(prefix: &str) -> Result<Robot, Error> {
        RobotBuilder::from_prefixed_lookup(prefix, |name| std::env::var(name).ok())?.build()
    }

    /// A robot configured by `lookup`, which is given each setting's name
    /// (`DINGTALK_WEBHOOK`, required; `DINGTALK_SECRET`; `DINGTALK_KEYWORDS`, a list separated
    /// by [`KEYWORD_SEPARATORS`]) and returns its value, or `None` where it is not set. An
    /// empty value counts as not set. [`from_env`](Robot::from_env) is this with
    /// `std::env::var`; a test gives its own settings, and a program may read a file or a
    /// secret store.
    ///
    /// ```
    /// # use dingtalk_core as dingtalk_bot;
    /// use dingtalk_bot::Robot;
    ///
    /// let webhook = "https://oapi.dingtalk.com/robot/send?access_token=t";
    /// let robot = Robot::from_lookup(|name| match name {
    ///     "DINGTALK_WEBHOOK" => Some(webhook.to_owned()),
    ///     "DINGTALK_KEYWORDS" => Some("deploy, 告警".into()),
    ///     _ => None,
    /// })?;
    /// assert_eq!(robot.keywords(), ["deploy", "告警"]);
    /// # Ok::<(), dingtalk_bot::Error>(())
    /// ```
    pub fn from_lookup(lookup: impl FnMut(&str) -> Option<String>) -> Result<Robot, Error> {
        RobotBuilder::from_lookup(lookup)?.build()
    }
}

impl RobotBuilder {
    /// A builder configured by `lookup`, as [`Robot::from_lookup`] describes.
    pub(crate) fn from_lookup(
        lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<RobotBuilder, Error> {
        RobotBuilder::from_prefixed_lookup("", lookup)
    }

    /// A builder configured by `lookup` of the names with `prefix` and an underscore before
    /// them, as [`Robot::from_env_prefixed`] describes; errors name the variables so.
    pub(crate) fn from_prefixed_lookup(
        prefix: &str,
        mut lookup: impl FnMut(&str) -> Option<String>,
    ) -> Result<RobotBuilder, Error> {
        let prefix = match prefix {
            "" => String::new(),
            p if p.ends_with('_') => p.to_owned(),
            p => format!("{p}_"),
        };
        let mut set = |name: &str| {
            let name = format!("{prefix}{name}");
            lookup(&name).filter(|v| !v.trim().is_empty()).ok_or(name)
        };
        let webhook =
            set(WEBHOOK).map_err(|name| Error::invalid_config(format!("{name} is not set")))?;
        let mut builder = Robot::builder(webhook);
        if let Ok(secret) = set(SECRET) {
            builder = builder.secret(secret);
        }
        if let Ok(keywords) = set(KEYWORDS) {
            builder = builder.keywords(keywords.split(KEYWORD_SEPARATORS));
        }
        Ok(builder)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::error::ErrorKind;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const HOOK: &str = "https://oapi.dingtalk.com/robot/send?access_token=t";

    #[test]
    fn a_prefix_names_every_variable_and_reads_no_other() {
        let env = vars(&[
            ("OPS_DINGTALK_WEBHOOK", HOOK),
            ("OPS_DINGTALK_KEYWORDS", "ops"),
            ("DINGTALK_KEYWORDS", "deploy"),
        ]);
        let mut asked = Vec::new();
        let robot = RobotBuilder::from_prefixed_lookup("OPS", |name| {
            asked.push(name.to_owned());
            env.get(name).cloned()
        })
        .and_then(RobotBuilder::build)
        .unwrap();
        assert_eq!(robot.keywords(), ["ops"]);
        assert_eq!(
            asked,
            [
                "OPS_DINGTALK_WEBHOOK",
                "OPS_DINGTALK_SECRET",
                "OPS_DINGTALK_KEYWORDS"
            ]
        );
        // A trailing underscore is not doubled; an empty prefix is no prefix.
        let robot = RobotBuilder::from_prefixed_lookup("OPS_", |name| env.get(name).cloned())
            .and_then(RobotBuilder::build)
            .unwrap();
        assert_eq!(robot.keywords(), ["ops"]);
        let e = RobotBuilder::from_prefixed_lookup("", |name| env.get(name).cloned()).unwrap_err();
        assert_eq!(e.to_string(), "DINGTALK_WEBHOOK is not set");
    }

    #[test]
    fn the_missing_variable_is_named_with_its_prefix() {
        let env = vars(&[("DINGTALK_WEBHOOK", HOOK)]);
        let e =
            RobotBuilder::from_prefixed_lookup("OPS", |name| env.get(name).cloned()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(
            e.to_string().contains("OPS_DINGTALK_WEBHOOK is not set"),
            "{e}"
        );
    }

    #[test]
    fn empty_values_are_not_set() {
        let env = vars(&[
            ("DINGTALK_WEBHOOK", HOOK),
            ("DINGTALK_SECRET", "  "),
            ("DINGTALK_KEYWORDS", ""),
        ]);
        let robot = Robot::from_lookup(|name| env.get(name).cloned()).unwrap();
        assert!(robot.keywords().is_empty());
        assert!(!format!("{robot:?}").contains("Secret("), "{robot:?}");
        let e = Robot::from_lookup(|name| (name == "DINGTALK_WEBHOOK").then(String::new));
        assert_eq!(e.unwrap_err().kind(), ErrorKind::InvalidConfig);
    }
}
