//! Checks of single values (durations, regions, endpoints, ARNs, MFA devices) and the
//! collector that gives each problem its file, line and column.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use super::Problem;
use super::raw::Text;
use crate::domain::duration::{format_duration, parse_duration};

pub(super) struct Problems<'a> {
    pub file: &'a Path,
    pub text: &'a str,
    pub found: Vec<Problem>,
}

impl Problems<'_> {
    pub fn at(&mut self, span: Range<usize>, key: impl Into<String>, message: impl Into<String>) {
        let (line, column) = line_and_column(self.text, span.start);
        self.found.push(Problem {
            file: self.file.to_path_buf(),
            line,
            column,
            key: key.into(),
            message: message.into(),
        });
    }
}

pub(super) fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |tail| tail.chars().count()) + 1;
    (line, column)
}

pub(super) fn checked_duration(
    text: &Text,
    key: &str,
    min: Duration,
    max: Duration,
    rule: &str,
    problems: &mut Problems,
) -> Duration {
    match parse_duration(text.get_ref()) {
        Ok(value) if value < min || value > max => {
            problems.at(text.span(), key, format!("{} is outside what AWS allows: {rule}", format_duration(value)));
            value.clamp(min, max)
        }
        Ok(value) => value,
        Err(message) => {
            problems.at(text.span(), key, message);
            min
        }
    }
}

pub(super) fn checked_region(region: &Text, key: &str, problems: &mut Problems) -> String {
    let text = region.get_ref();
    let parts: Vec<&str> = text.split('-').collect();
    let valid = parts.len() >= 3
        && parts[0].len() == 2
        && parts
            .iter()
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
        && parts[parts.len() - 1].chars().all(|c| c.is_ascii_digit());
    if !valid {
        problems.at(region.span(), key, format!("\"{text}\" is not an AWS region (like eu-west-1)"));
    }
    text.clone()
}

pub(super) fn checked_endpoint(url: &str) -> Result<String, String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or_else(|| format!("\"{url}\" is not an endpoint URL: it must start with http:// or https://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(']') || host.starts_with('[') => (name, Some(port)),
        _ => (host, None),
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(format!("\"{url}\" has no host"));
    }
    if let Some(port) = port
        && !port.parse::<u16>().is_ok_and(|port| port != 0)
    {
        return Err(format!("\"{url}\" has a port that is not a number from 1 to 65535"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

pub fn parse_role_arn(arn: &str) -> Result<String, String> {
    let malformed = || format!("\"{arn}\" is not an IAM role ARN: write arn:aws:iam::123456789012:role/NAME");
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [prefix, partition, service, region, account, resource] = parts.as_slice() else {
        return Err(malformed());
    };
    let role_path = resource.strip_prefix("role/").ok_or_else(malformed)?;
    let valid = *prefix == "arn"
        && partition.starts_with("aws")
        && *service == "iam"
        && region.is_empty()
        && account.len() == 12
        && account.chars().all(|c| c.is_ascii_digit())
        && !role_path.is_empty()
        && !role_path.ends_with('/')
        && role_path.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@-_/".contains(c));
    if valid { Ok((*account).to_owned()) } else { Err(malformed()) }
}

pub fn checked_mfa_serial(serial: &str) -> Result<(), String> {
    if serial.starts_with("arn:") {
        let parts: Vec<&str> = serial.splitn(6, ':').collect();
        let valid = matches!(parts.as_slice(), [_, partition, "iam", "", account, device]
            if partition.starts_with("aws")
                && account.len() == 12
                && account.chars().all(|c| c.is_ascii_digit())
                && device.strip_prefix("mfa/").is_some_and(|name| !name.is_empty()));
        return if valid {
            Ok(())
        } else {
            Err(format!("\"{serial}\" is not an MFA device ARN: write arn:aws:iam::123456789012:mfa/NAME"))
        };
    }
    let valid = (9..=256).contains(&serial.len())
        && serial.chars().all(|c| c.is_ascii_alphanumeric() || "+=/:,.@-_".contains(c));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "\"{serial}\" is neither an MFA device ARN (arn:aws:iam::123456789012:mfa/NAME) nor a hardware token serial"
        ))
    }
}

pub(super) fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}
