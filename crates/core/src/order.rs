//! Placeholder: order.
