//! Who is at the keyboard: the operating-system account running chartroom, from the process's real
//! uid — never from `$USER`, which anyone can set. Over SSH it is the account they signed in with.

use super::{DeskError, DeskResult};

/// The account name of the process's real uid.
pub fn current_account() -> DeskResult<String> {
    let uid = rustix::process::getuid().as_raw();
    let user = uzers::get_user_by_uid(uid)
        .ok_or_else(|| DeskError::NotFound(format!("the account with uid {uid} has no name on this host")))?;
    user.name()
        .to_str()
        .map(str::to_string)
        .ok_or_else(|| DeskError::Invalid(format!("the account name of uid {uid} is not UTF-8")))
}

/// Account names as POSIX allows them: letters, digits, `.`, `_`, `-`, not starting with `-`.
pub fn validate_username(raw: &str) -> DeskResult<String> {
    let name = raw.trim();
    let ok = !name.is_empty()
        && name.len() <= 32
        && !name.starts_with('-')
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(name.to_string())
    } else {
        Err(DeskError::Invalid(format!(
            "{:?} is not an account name (letters, digits, '.', '_' or '-', at most 32)",
            crate::domain::text::clean(&name.chars().take(40).collect::<String>())
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_names() {
        assert!(validate_username("jdoe").is_ok());
        assert!(validate_username("j.doe-2").is_ok());
        assert!(validate_username("-rf").is_err());
        assert!(validate_username("a b").is_err());
        assert!(validate_username("\x1b[2J").is_err());
        assert!(validate_username("").is_err());
    }

    #[test]
    fn the_current_account_has_a_name() {
        assert!(!current_account().unwrap().is_empty());
    }
}
