//! The notifier: the gate (once per condition, floods summarised), one bounded queue and one
//! delivering task per sink, and the reports of what became of each alert.

use std::sync::Arc;
use std::time::Duration;

use cf_config::NotifyConfig;
use cf_core::alert::{AlertKind, Candidate, FloodSummary, Gate, Verdict};
use jiff::Timestamp;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::alert::Alert;
use crate::send::{Answer, SendError};
use crate::sink::Sink;

/// What became of one alert at one sink.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The sink.
    pub sink: String,
    /// The alert's kind.
    pub event: AlertKind,
    /// What happened.
    pub outcome: Outcome,
}

/// How a delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The sink took it.
    Delivered {
        /// Tries it took.
        attempts: u32,
        /// What the sink answered.
        answer: Answer,
    },
    /// Every try failed.
    GaveUp {
        /// Tries made.
        attempts: u32,
        /// The last try's error (scrubbed).
        error: SendError,
    },
    /// The sink's queue was full: the alert was never tried.
    Dropped {
        /// The queue's size.
        queue: usize,
    },
}

/// Where delivery reports go (the daemon turns them into events of its loop).
pub type Reporter = Arc<dyn Fn(DeliveryReport) + Send + Sync>;

/// How hard one sink tries.
#[derive(Debug, Clone, Copy)]
struct Delivery {
    max_attempts: u32,
    first_backoff: Duration,
    timeout: Duration,
}

/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// A sink's queue, as the notifier sees it.
struct Queue {
    name: String,
    wants: Box<dyn Fn(AlertKind) -> bool + Send>,
    tx: mpsc::Sender<Alert>,
}

/// Hands alerts to the sinks without ever waiting for one.
pub struct Notifier {
    /// Behind a lock so that offering needs no `&mut` (the daemon says things from `&self`).
    gate: std::sync::Mutex<Gate>,
    host: String,
    queues: Vec<Queue>,
    capacity: usize,
    report: Reporter,
    workers: JoinSet<()>,
}

impl Notifier {
    /// Starts one delivering task per sink on the current tokio runtime.
    pub fn start(sinks: Vec<Sink>, settings: &NotifyConfig, report: Reporter) -> Notifier {
        let client = reqwest::Client::new();
        let delivery = Delivery {
            max_attempts: settings.max_attempts.max(1),
            first_backoff: settings.retry_backoff,
            timeout: settings.timeout,
        };
        let mut workers = JoinSet::new();
        let mut queues = Vec::new();
        for sink in sinks {
            let (tx, rx) = mpsc::channel(settings.queue.max(1));
            let sink = Arc::new(sink);
            let wants = {
                let sink = Arc::clone(&sink);
                Box::new(move |kind| sink.wants(kind))
            };
            queues.push(Queue {
                name: sink.name.clone(),
                wants,
                tx,
            });
            workers.spawn(deliver(
                sink,
                client.clone(),
                rx,
                delivery,
                Arc::clone(&report),
            ));
        }
        Notifier {
            gate: std::sync::Mutex::new(Gate::new(settings.flood_per_minute)),
            host: host_name(),
            queues,
            capacity: settings.queue.max(1),
            report,
            workers,
        }
    }

    /// A notifier with no sinks: offers go nowhere.
    pub fn none() -> Notifier {
        Notifier {
            gate: std::sync::Mutex::new(Gate::new(1)),
            host: String::new(),
            queues: Vec::new(),
            capacity: 0,
            report: Arc::new(|_| {}),
            workers: JoinSet::new(),
        }
    }

    /// The configured sinks' names.
    pub fn sink_names(&self) -> Vec<String> {
        self.queues.iter().map(|q| q.name.clone()).collect()
    }

    /// Offers an alert: summaries of floods that are over go first, then the alert, if the gate
    /// lets it through, onto the queue of every sink that wants it. Never waits.
    pub fn offer(&self, alert: Alert) {
        if self.queues.is_empty() {
            return;
        }
        self.tick(alert.at);
        let verdict = self.with_gate(|gate| {
            gate.admit(Candidate {
                kind: alert.event,
                account: alert.account.as_deref(),
                until: alert.until,
                at: alert.at,
            })
        });
        if verdict == Verdict::Send {
            self.enqueue(alert);
        }
    }

    /// Sends the summaries of the floods whose minute is over at `now`.
    pub fn tick(&self, now: Timestamp) {
        if self.queues.is_empty() {
            return;
        }
        for summary in self.with_gate(|gate| gate.due_summaries(now)) {
            self.enqueue(summary_alert(&summary));
        }
    }

    /// The gate, even after a panic elsewhere poisoned its lock (its state stays consistent).
    fn with_gate<T>(&self, f: impl FnOnce(&mut Gate) -> T) -> T {
        let mut gate = self
            .gate
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut gate)
    }

    /// Puts `alert` on every wanting sink's queue; a full queue drops it and says so.
    fn enqueue(&self, mut alert: Alert) {
        alert.host.clone_from(&self.host);
        for queue in &self.queues {
            if !(queue.wants)(alert.event) {
                continue;
            }
            if queue.tx.try_send(alert.clone()).is_err() {
                (self.report)(DeliveryReport {
                    sink: queue.name.clone(),
                    event: alert.event,
                    outcome: Outcome::Dropped {
                        queue: self.capacity,
                    },
                });
            }
        }
    }

    /// Sends the floods' summaries still pending, closes the queues and waits up to `grace` for
    /// what is queued to be delivered.
    pub async fn close(mut self, grace: Duration) {
        self.tick(Timestamp::MAX);
        self.queues.clear();
        let drained = async { while self.workers.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, drained).await.is_err() {
            tracing::warn!(
                "notifications still undelivered after {}s at shutdown: given up",
                grace.as_secs()
            );
            self.workers.abort_all();
        }
    }
}

/// One sink's task: its queue, in order, each alert tried until it is taken or the tries run out.
async fn deliver(
    sink: Arc<Sink>,
    client: reqwest::Client,
    mut rx: mpsc::Receiver<Alert>,
    delivery: Delivery,
    report: Reporter,
) {
    while let Some(alert) = rx.recv().await {
        let outcome = try_until_taken(&sink, &client, &alert, delivery).await;
        report(DeliveryReport {
            sink: sink.name.clone(),
            event: alert.event,
            outcome,
        });
    }
}

/// Tries with a doubling backoff, up to the configured number of tries.
async fn try_until_taken(
    sink: &Sink,
    client: &reqwest::Client,
    alert: &Alert,
    delivery: Delivery,
) -> Outcome {
    let mut backoff = delivery.first_backoff;
    let mut attempts = 0;
    loop {
        attempts += 1;
        match sink.send_once(client, alert, delivery.timeout).await {
            Ok(answer) => return Outcome::Delivered { attempts, answer },
            Err(error) if error.permanent || attempts >= delivery.max_attempts => {
                return Outcome::GaveUp { attempts, error };
            }
            Err(error) => {
                tracing::debug!(sink = %sink.name, "notification try {attempts} failed: {error}");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

/// The one alert a flood becomes.
fn summary_alert(summary: &FloodSummary) -> Alert {
    let kind = summary.kind.as_str();
    let mut alert = Alert::new(
        summary.kind,
        summary.until,
        format!("{} more {kind} alerts held back", summary.held_back),
        format!(
            "{} {kind} alerts between {} and {} were not sent one by one; see `claude-failover status` and the event log",
            summary.held_back, summary.since, summary.until
        ),
    );
    alert.held_back = Some(summary.held_back);
    alert
}

/// Sends a `test` alert to each sink (or the one named) once, and says what each answered.
pub async fn test_sinks(
    sinks: &[Sink],
    settings: &NotifyConfig,
    now: Timestamp,
) -> Vec<(String, Result<Answer, SendError>)> {
    let client = reqwest::Client::new();
    let mut alert = Alert::new(
        AlertKind::Test,
        now,
        "test notification".to_owned(),
        "claude-failover notify test: this sink works".to_owned(),
    );
    alert.host = host_name();
    let mut answers = Vec::new();
    for sink in sinks {
        let answer = sink.send_once(&client, &alert, settings.timeout).await;
        answers.push((sink.name.clone(), answer));
    }
    answers
}

/// This machine's name, for the alerts (empty if it cannot be read).
fn host_name() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is valid for its whole length, and gethostname writes at most that.
    let status = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) };
    if status != 0 {
        return String::new();
    }
    let end = buffer.iter().position(|b| *b == 0).unwrap_or(buffer.len());
    String::from_utf8_lossy(&buffer[..end]).into_owned()
}
