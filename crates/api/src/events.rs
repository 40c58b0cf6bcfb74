//! `GET /api/events`: the daemon's notices as server-sent events, one per notice
//! (`event: <kind>`, `data: <notice as JSON>`), with keep-alive comments.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use cf_daemon::Notice;
use futures_util::Stream;
use tokio::sync::{broadcast, watch};

use crate::router::Shared;

/// How often an idle stream gets a comment, so proxies and clients keep it open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Where one client's stream stands.
struct Feed {
    notices: broadcast::Receiver<Notice>,
    stopping: watch::Receiver<bool>,
}

/// `GET /api/events`.
pub(crate) async fn events(
    State(shared): State<Shared>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let feed = Feed {
        notices: shared.api.notices.subscribe(),
        stopping: shared.stopping.clone(),
    };
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        let event = next_event(&mut feed).await?;
        Some((Ok(event), feed))
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(KEEP_ALIVE).text("keep-alive"))
}

/// The next event to send, or `None` to end the stream (server stopping, daemon gone).
async fn next_event(feed: &mut Feed) -> Option<Event> {
    if *feed.stopping.borrow() {
        return None;
    }
    let received = tokio::select! {
        received = feed.notices.recv() => received,
        _ = feed.stopping.changed() => return None,
    };
    match received {
        Ok(notice) => Some(notice_event(&notice)),
        Err(broadcast::error::RecvError::Lagged(skipped)) => Some(
            Event::default()
                .event("lagged")
                .data(serde_json::json!({ "skipped": skipped }).to_string()),
        ),
        Err(broadcast::error::RecvError::Closed) => None,
    }
}

/// One notice as an event named after its kind.
fn notice_event(notice: &Notice) -> Event {
    let data = serde_json::to_string(notice).unwrap_or_else(|e| {
        serde_json::json!({ "kind": notice.kind.as_str(), "error": e.to_string() }).to_string()
    });
    Event::default().event(notice.kind.as_str()).data(data)
}
