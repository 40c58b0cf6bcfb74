//! Notifications to the operator. The daemon offers an [`Alert`] for what a person should hear
//! about; the [`Notifier`] lets each condition through once (`cf_core::alert::Gate`), puts it on
//! the bounded queue of every sink that wants it, and one task per sink delivers its queue in
//! order, with retries, never blocking the caller. URLs and tokens come from the environment
//! ([`Sink::resolve`]) and are scrubbed from every error.

mod alert;
mod notifier;
mod send;
mod sink;

pub use alert::Alert;
pub use notifier::{DeliveryReport, Notifier, Outcome, Reporter, test_sinks};
pub use send::{Answer, SendError};
pub use sink::{Sink, SinkError, resolve_sinks};
