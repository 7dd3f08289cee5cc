//! Prometheus metrics of one station process, at `GET /metrics`: requests by route and status,
//! their latency, evidence bytes received, the log's size, and what this process appended to it
//! and how long uploads waited for the sequencer. Counts kept by the service are read when
//! scraped, so nothing is counted twice.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::http::AppState;
use crate::storage::Storage;

/// A request's route (the pattern, never the path: case ids stay out of the metrics) and
/// answer.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Answered {
    route: String,
    method: String,
    status: u16,
}

/// A request's route, for its latency.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

/// What the HTTP layer counts, and the registry it is scraped from.
pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<Answered, Counter>,
    latency: Family<Route, Histogram>,
    upload_bytes: Counter,
}

impl Metrics {
    /// The metrics of a station serving `state`.
    pub(crate) fn new<S: Storage>(state: Arc<AppState<S>>) -> Metrics {
        let mut registry = Registry::with_prefix("quancheng");
        let requests = Family::<Answered, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by route, method and status",
            requests.clone(),
        );
        // 1 ms to about 33 s.
        let latency = Family::<Route, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 16))
        });
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by route",
            latency.clone(),
        );
        let upload_bytes = Counter::default();
        registry.register(
            "evidence_received_bytes",
            "Bytes of evidence files received in accepted chunks",
            upload_bytes.clone(),
        );
        registry.register_collector(Box::new(LogCollector(state)));
        Metrics {
            registry,
            requests,
            latency,
            upload_bytes,
        }
    }

    /// The metrics in Prometheus' text format (reads the log's head from the store).
    pub(crate) fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// Counts every request by the route it matched.
pub(crate) async fn track(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let method = request.method().clone();
    let length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    let response = next.run(request).await;
    let status = response.status();
    if method == Method::PUT && route == "/v1/blobs/{case}/{sha}" && status.is_success() {
        metrics.upload_bytes.inc_by(length.unwrap_or(0));
    }
    metrics
        .latency
        .get_or_create(&Route {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    metrics
        .requests
        .get_or_create(&Answered {
            route,
            method: method.to_string(),
            status: status.as_u16(),
        })
        .inc();
    response
}

/// The log's size (from the store, shared by every process) and what this process appended.
struct LogCollector<S: Storage>(Arc<AppState<S>>);

impl<S: Storage> std::fmt::Debug for LogCollector<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LogCollector")
    }
}

impl<S: Storage> Collector for LogCollector<S> {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let service = &self.0.service;
        // A store that does not answer leaves the size out; /v1/ready reports it.
        if let Ok(size) = service.log_size() {
            let gauge = ConstGauge::new(i64::try_from(size).unwrap_or(i64::MAX));
            gauge.encode(encoder.encode_descriptor(
                "log_entries",
                "Entries in the log",
                None,
                gauge.metric_type(),
            )?)?;
        }
        let stats = service.log_stats();
        let counts = [
            (
                "log_appends",
                "Tree updates this process made (each appends one or more uploads)",
                stats.appends,
            ),
            (
                "log_appended_entries",
                "Entries this process appended to the log",
                stats.entries,
            ),
            (
                "sequencer_uploads",
                "Uploads this process sequenced",
                stats.sequenced,
            ),
        ];
        for (name, help, value) in counts {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        let waited = ConstCounter::new(stats.waited_us as f64 / 1e6);
        waited.encode(encoder.encode_descriptor(
            "sequencer_wait_seconds",
            "Time uploads waited to be sequenced, in all (over sequencer_uploads: the mean lag)",
            None,
            waited.metric_type(),
        )?)?;
        Ok(())
    }
}
