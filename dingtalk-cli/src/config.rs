//! Where the robot comes from: flags, then the environment, then a TOML file of named robots.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The config file: named robots, and which one is used when none is named.
///
/// ```toml
/// default = "ops"
///
/// [robots.ops]
/// webhook = "https://oapi.dingtalk.com/robot/send?access_token=…"
/// secret = "SEC…"
/// keywords = ["deploy"]
/// ```
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub default: Option<String>,
    #[serde(default)]
    pub robots: BTreeMap<String, RobotEntry>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotEntry {
    pub webhook: Option<String>,
    pub secret: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
}

/// The config file's default place: `<config dir>/dingtalk/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("dingtalk").join("config.toml"))
}

/// Reads the config file; a missing file at the default place is an empty one.
pub fn load(path: &Path, explicit: bool) -> Result<File, String> {
    match std::fs::read_to_string(path) {
        // The message and the line only: the full error quotes the line, which may hold a
        // secret.
        Ok(text) => toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start.min(text.len())].lines().count().max(1));
            match line {
                Some(line) => format!("{}, line {line}: {}", path.display(), e.message()),
                None => format!("{}: {}", path.display(), e.message()),
            }
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(File::default()),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// The robot from every source: a flag wins over the environment, which wins over the file.
/// A robot named with `--robot` is taken whole from the file (flags still win): the
/// environment describes another robot.
pub fn resolve(
    flags: &RobotEntry,
    env: impl Fn(&str) -> Option<String>,
    file: &File,
    name: Option<&str>,
) -> Result<RobotEntry, String> {
    let from_file = match name.or(file.default.as_deref()) {
        Some(name) => match file.robots.get(name) {
            Some(entry) => entry.clone(),
            None if file.robots.is_empty() => {
                return Err(format!(
                    "no robot named `{name}`: the config file names none"
                ));
            }
            None => {
                let known: Vec<&str> = file.robots.keys().map(String::as_str).collect();
                return Err(format!(
                    "no robot named `{name}` in the config file; it has {}",
                    known.join(", ")
                ));
            }
        },
        None => RobotEntry::default(),
    };
    let env = |key: &str| {
        if name.is_some() {
            None
        } else {
            env(key).filter(|v| !v.trim().is_empty())
        }
    };
    let keywords = if !flags.keywords.is_empty() {
        flags.keywords.clone()
    } else if let Some(list) = env("DINGTALK_KEYWORDS") {
        list.split(dingtalk_bot::KEYWORD_SEPARATORS)
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty())
            .collect()
    } else {
        from_file.keywords
    };
    Ok(RobotEntry {
        webhook: flags
            .webhook
            .clone()
            .or_else(|| env("DINGTALK_WEBHOOK"))
            .or(from_file.webhook),
        secret: flags
            .secret
            .clone()
            .or_else(|| env("DINGTALK_SECRET"))
            .or(from_file.secret),
        keywords,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(webhook: &str, secret: &str, keywords: &[&str]) -> RobotEntry {
        RobotEntry {
            webhook: Some(webhook.into()),
            secret: Some(secret.into()),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
        }
    }

    #[test]
    fn flags_win_over_the_environment_over_the_file() {
        let file: File = toml::from_str(
            r#"
            default = "ops"
            [robots.ops]
            webhook = "file-hook"
            secret = "file-secret"
            keywords = ["file"]
            [robots.dev]
            webhook = "dev-hook"
            "#,
        )
        .unwrap();
        let none = RobotEntry::default();
        let no_env = |_: &str| None;
        let r = resolve(&none, no_env, &file, None).unwrap();
        assert_eq!(
            (r.webhook.as_deref(), r.keywords.clone()),
            (Some("file-hook"), vec!["file".to_owned()])
        );
        let env = |k: &str| (k == "DINGTALK_WEBHOOK").then(|| "env-hook".to_owned());
        let r = resolve(&none, env, &file, None).unwrap();
        assert_eq!(
            (r.webhook.as_deref(), r.secret.as_deref()),
            (Some("env-hook"), Some("file-secret"))
        );
        let flags = entry("flag-hook", "flag-secret", &["flag"]);
        let r = resolve(&flags, env, &file, Some("dev")).unwrap();
        assert_eq!(
            (r.webhook.as_deref(), r.keywords),
            (Some("flag-hook"), vec!["flag".to_owned()])
        );
        // A robot named with --robot comes from the file, whatever the environment says.
        let r = resolve(&none, env, &file, Some("dev")).unwrap();
        assert_eq!((r.webhook.as_deref(), r.secret), (Some("dev-hook"), None));
        let e = resolve(&none, no_env, &file, Some("prod")).unwrap_err();
        assert!(e.contains("dev, ops"), "{e}");
    }
}
