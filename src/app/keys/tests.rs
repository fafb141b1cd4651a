use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;

crate::command_set! {
    /// A panel's command set for these tests (the real panels' sets live with the panels).
    pub enum SampleCommand in Some("sample"), "a sample panel" {
        Peek = "peek", ["p"], "peek";
        Send = "send", ["n"], "send";
    }
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, modifiers)
}

fn inventory(ui: &str) -> Result<Keymaps, Vec<Problem>> {
    let text = format!(
        "[sources.main]\nprofile = \"p\"\n\n[[accounts]]\nname = \"a\"\nid = \"111111111111\"\n\n[[accounts.roles]]\nname = \"r\"\nrole_name = \"R\"\nsource = \"main\"\n\n{ui}"
    );
    let inventory = Inventory::parse(std::path::Path::new("/inv.toml"), &text).unwrap();
    Keymaps::from_inventory(&inventory, &[KeySection::of::<SampleCommand>()])
}

#[test]
fn defaults_cover_every_command_and_match_shifted_letters() {
    let keymap = Keymap::<Command>::default();
    for &command in Command::all() {
        assert!(!keymap.keys_of(command).is_empty(), "{command:?} has no key");
    }
    assert_eq!(keymap.command_for(&key(KeyCode::Char('R'), KeyModifiers::SHIFT)), Some(Command::RefreshExpiring));
    assert_eq!(keymap.command_for(&key(KeyCode::Char('r'), KeyModifiers::NONE)), Some(Command::Refresh));
    assert_eq!(keymap.command_for(&key(KeyCode::Char('c'), KeyModifiers::CONTROL)), Some(Command::Quit));
    assert_eq!(keymap.command_for(&key(KeyCode::Char('c'), KeyModifiers::NONE)), Some(Command::Copy));
}

#[test]
fn overrides_replace_only_the_named_commands() {
    let refresh = vec!["f5".to_owned(), "ctrl-r".to_owned()];
    let keymap = Keymap::<Command>::with_overrides([("refresh", refresh.as_slice())]).unwrap();
    assert_eq!(keymap.command_for(&key(KeyCode::F(5), KeyModifiers::NONE)), Some(Command::Refresh));
    assert_eq!(keymap.command_for(&key(KeyCode::Char('r'), KeyModifiers::CONTROL)), Some(Command::Refresh));
    assert_eq!(keymap.command_for(&key(KeyCode::Char('r'), KeyModifiers::NONE)), None);
    assert_eq!(keymap.command_for(&key(KeyCode::Char('q'), KeyModifiers::NONE)), Some(Command::Quit));
}

#[test]
fn bad_overrides_are_all_reported() {
    let bad = vec!["shift-banana".to_owned()];
    let problems =
        Keymap::<Command>::with_overrides([("refresh", bad.as_slice()), ("fly", bad.as_slice())]).unwrap_err();
    assert_eq!(problems.len(), 2);
    assert!(problems[0].message.contains("is not a key"));
    assert!(problems[1].message.contains("no command \"fly\""));
}

#[test]
fn a_key_left_on_two_commands_is_refused() {
    let copy_key = vec!["c".to_owned()];
    let problems = Keymap::<Command>::with_overrides([("refresh", copy_key.as_slice())]).unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].command, "refresh");
    assert!(problems[0].message.contains("also the key of \"copy\""), "{}", problems[0].message);
    let swapped = [("refresh", vec!["c".to_owned()]), ("copy", vec!["r".to_owned()])];
    let keymap = Keymap::<Command>::with_overrides(swapped.iter().map(|(name, keys)| (*name, keys.as_slice())));
    assert!(keymap.is_ok(), "swapping two keys is fine: {keymap:?}");
}

#[test]
fn inventory_problems_name_the_file_line_column_and_key() {
    let problems = inventory("[ui.keys]\nnot_a_command = [\"x\"]\nrefresh = [\"ctrl-shift-q\"]\n").unwrap_err();
    let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert!(
        lines.iter().any(|line| line.starts_with("/inv.toml:14:17: ui.keys.not_a_command: no command")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|line| line.starts_with("/inv.toml:15:11: ui.keys.refresh: \"ctrl-shift-q\" is not a key")),
        "{lines:#?}"
    );
}

#[test]
fn a_section_no_panel_has_is_refused_where_it_is_written() {
    let problems = inventory("[ui.keys.nothing]\npeek = [\"v\"]\n").unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!((problems[0].line, problems[0].key.as_str()), (14, "ui.keys.nothing"));
    assert!(problems[0].message.contains("(sections: sample)"), "{}", problems[0].message);
}

#[test]
fn a_panel_section_rebinds_only_that_panel() {
    let keymaps = inventory("[ui.keys.sample]\npeek = [\"v\"]\n").unwrap();
    let v = key(KeyCode::Char('v'), KeyModifiers::NONE);
    let sample = keymaps.panel::<SampleCommand>();
    assert_eq!(sample.command_for(&v), Some(SampleCommand::Peek));
    assert_eq!(sample.command_for(&key(KeyCode::Char('p'), KeyModifiers::NONE)), None);
    assert_eq!(keymaps.list.command_for(&v), Some(Command::Chain), "the list keeps its own v");
}

#[test]
fn a_panel_key_clash_names_the_panel_section() {
    let problems = inventory("[ui.keys.sample]\npeek = [\"n\"]\n").unwrap_err();
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].key, "ui.keys.sample.peek");
    assert!(problems[0].message.contains("also the key of \"send\""), "{}", problems[0].message);
}

#[test]
fn no_overrides_give_the_defaults() {
    assert_eq!(inventory("").unwrap(), Keymaps::default());
}

#[test]
fn the_list_defaults_are_free_of_clashes() {
    assert_free_of_clashes::<Command>();
    assert_free_of_clashes::<SampleCommand>();
}
