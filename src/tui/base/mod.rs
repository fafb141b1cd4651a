//! The floor of the screen: types and helpers every feature uses and that import nothing of
//! the screen above them (rows, the theme, layout and cell helpers, the keys, the MFA reply).

pub mod keys;
pub mod layout;
pub mod mfa_reply;
pub mod row;
pub mod theme;
pub mod widgets;
