//! The send form and the typed confirmation of destructive actions.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::domain::sqs::{MessageAttribute, SendRequest};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Body,
    Attributes,
    Delay,
    GroupId,
    DeduplicationId,
}

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Body => "body",
            Field::Attributes => "attributes (name=value, ...)",
            Field::Delay => "delay seconds (0-900)",
            Field::GroupId => "message group id",
            Field::DeduplicationId => "deduplication id (optional)",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SendForm {
    pub url: String,
    pub queue: String,
    pub fifo: bool,
    pub values: BTreeMap<&'static str, String>,
    pub focus: usize,
    pub error: Option<String>,
}

pub enum FormOutcome {
    Editing,
    Cancel,
    Submit(SendRequest),
}

impl SendForm {
    pub fn new(url: String, queue: String, fifo: bool) -> Self {
        Self { url, queue, fifo, values: BTreeMap::new(), focus: 0, error: None }
    }

    pub fn fields(&self) -> Vec<Field> {
        let mut fields = vec![Field::Body, Field::Attributes];
        if self.fifo {
            fields.extend([Field::GroupId, Field::DeduplicationId]);
        } else {
            fields.push(Field::Delay);
        }
        fields
    }

    pub fn value(&self, field: Field) -> &str {
        self.values.get(field.label()).map_or("", String::as_str)
    }

    fn focused(&self) -> Field {
        let fields = self.fields();
        fields[self.focus.min(fields.len() - 1)]
    }

    pub fn paste(&mut self, text: &str) {
        self.values.entry(self.focused().label()).or_default().push_str(text);
    }

    pub fn on_key(&mut self, key: KeyEvent) -> FormOutcome {
        let count = self.fields().len();
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => return FormOutcome::Cancel,
            KeyCode::Char('s') if ctrl => return self.submit(),
            KeyCode::Enter if self.focus + 1 == count => return self.submit(),
            KeyCode::Enter | KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1) % count,
            KeyCode::BackTab | KeyCode::Up => self.focus = (self.focus + count - 1) % count,
            KeyCode::Backspace => {
                self.values.entry(self.focused().label()).or_default().pop();
            }
            KeyCode::Char(c) if !ctrl => self.values.entry(self.focused().label()).or_default().push(c),
            _ => {}
        }
        FormOutcome::Editing
    }

    fn submit(&mut self) -> FormOutcome {
        match self.request() {
            Ok(request) => FormOutcome::Submit(request),
            Err(message) => {
                self.error = Some(message);
                FormOutcome::Editing
            }
        }
    }

    /// The SendMessage request, or what is wrong with the form.
    pub fn request(&self) -> Result<SendRequest, String> {
        let body = self.value(Field::Body).to_owned();
        if body.is_empty() {
            return Err("the body is empty".into());
        }
        let mut attributes = BTreeMap::new();
        for pair in self.value(Field::Attributes).split(',').map(str::trim).filter(|pair| !pair.is_empty()) {
            let (name, value) =
                pair.split_once('=').ok_or_else(|| format!("attribute \"{pair}\" is not name=value"))?;
            let data_type = if value.trim().parse::<f64>().is_ok() { "Number" } else { "String" };
            attributes.insert(name.trim().to_owned(), MessageAttribute::text(data_type, value.trim()));
        }
        let delay = match self.value(Field::Delay).trim() {
            "" => None,
            text => {
                Some(text.parse::<u32>().ok().filter(|delay| *delay <= 900).ok_or("the delay is 0 to 900 seconds")?)
            }
        };
        let group_id = Some(self.value(Field::GroupId).trim().to_owned()).filter(|id| !id.is_empty());
        if self.fifo && group_id.is_none() {
            return Err("a FIFO queue needs a message group id".into());
        }
        let deduplication_id = Some(self.value(Field::DeduplicationId).trim().to_owned()).filter(|id| !id.is_empty());
        Ok(SendRequest { body, attributes, delay_seconds: delay, group_id, deduplication_id })
    }
}

/// A destructive action waiting for the operator to type `expected`.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub prompt: String,
    pub expected: String,
    pub typed: String,
    /// Enter was pressed on a text that does not match: say so instead of doing nothing.
    pub mismatch: bool,
}

pub enum ConfirmOutcome {
    Typing,
    Cancel,
    Confirmed,
}

impl Confirm {
    pub fn on_key(&mut self, key: KeyEvent) -> ConfirmOutcome {
        match key.code {
            KeyCode::Esc => ConfirmOutcome::Cancel,
            KeyCode::Enter if self.typed == self.expected => ConfirmOutcome::Confirmed,
            KeyCode::Enter => {
                self.mismatch = true;
                ConfirmOutcome::Typing
            }
            KeyCode::Backspace => {
                self.typed.pop();
                self.mismatch = false;
                ConfirmOutcome::Typing
            }
            KeyCode::Char(c) => {
                self.typed.push(c);
                self.mismatch = false;
                ConfirmOutcome::Typing
            }
            _ => ConfirmOutcome::Typing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(form: &mut SendForm, text: &str) {
        for c in text.chars() {
            form.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
    }

    #[test]
    fn a_fifo_message_needs_a_group_and_attributes_get_their_types() {
        let mut form = SendForm::new("u".into(), "events.fifo".into(), true);
        typed(&mut form, "hello");
        form.on_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
        typed(&mut form, "kind=test, size=3");
        assert_eq!(form.request().unwrap_err(), "a FIFO queue needs a message group id");
        form.on_key(KeyEvent::new(KeyCode::Tab, KeyModifiers::NONE));
        typed(&mut form, "g1");
        let request = form.request().unwrap();
        assert_eq!(request.group_id.as_deref(), Some("g1"));
        assert_eq!(request.attributes["size"], MessageAttribute::text("Number", "3"));
        assert_eq!(request.attributes["kind"], MessageAttribute::text("String", "test"));
    }

    #[test]
    fn confirmation_needs_the_exact_text() {
        let mut confirm =
            Confirm { prompt: "purge".into(), expected: "orders".into(), typed: String::new(), mismatch: false };
        for c in "order".chars() {
            confirm.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        assert!(matches!(confirm.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)), ConfirmOutcome::Typing));
        confirm.on_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE));
        assert!(matches!(confirm.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)), ConfirmOutcome::Confirmed));
    }
}
