import Prometheus
import RAGCore

/// The server's Prometheus metrics, on a registry of its own (no global state).
final class ServerMetrics: AskObserver, Sendable {
    let registry = PrometheusCollectorRegistry()
    let retrieval: DurationHistogram
    let generation: DurationHistogram
    let activeStreams: Gauge
    let ingested: Counter

    init() {
        let buckets: [Duration] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
            .map { .microseconds(Int64($0 * 1_000_000)) }
        retrieval = registry.makeDurationHistogram(
            descriptor: Self.rag("retrieval", "seconds", "Time to retrieve the passages of an ask."), buckets: buckets)
        generation = registry.makeDurationHistogram(
            descriptor: Self.rag("generation", "seconds", "Time to generate an answer, pauses included."),
            buckets: buckets)
        activeStreams = registry.makeGauge(descriptor: Self.rag("active_streams", "", "Open SSE and export streams."))
        ingested = registry.makeCounter(
            descriptor: Self.rag("ingested_documents", "total", "Documents created or updated through the API."))
    }

    /// `rag_<name>_<unit>`, with its help text.
    private static func rag(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "rag", metricName: name, unitName: unit, helpText: help)
    }

    func retrievalFinished(after duration: Duration) { retrieval.record(duration) }
    func generationFinished(after duration: Duration) { generation.record(duration) }

    func request(route: String, status: Int) {
        registry.makeCounter(
            descriptor: Self.rag("http_requests", "total", "HTTP requests answered, by route and status."),
            labels: [("route", route), ("status", "\(status)")]
        ).increment()
    }

    func jobs(_ counts: [JobStatus: Int]) {
        for status in [JobStatus.queued, .running, .paused, .done, .failed, .cancelled] {
            registry.makeGauge(
                descriptor: Self.rag("jobs", "", "Jobs held, by status."), labels: [("status", status.rawValue)]
            ).set(Double(counts[status] ?? 0))
        }
    }

    func text() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
