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
            name: "rag_retrieval_seconds", buckets: buckets, help: "Time to retrieve the passages of an ask.")
        generation = registry.makeDurationHistogram(
            name: "rag_generation_seconds", buckets: buckets, help: "Time to generate an answer, pauses included.")
        activeStreams = registry.makeGauge(name: "rag_active_streams")
        ingested = registry.makeCounter(name: "rag_ingested_documents_total")
    }

    func retrievalFinished(after duration: Duration) { retrieval.record(duration) }
    func generationFinished(after duration: Duration) { generation.record(duration) }

    func request(route: String, status: Int) {
        registry.makeCounter(name: "rag_http_requests_total", labels: [("route", route), ("status", "\(status)")])
            .increment()
    }

    func jobs(_ counts: [JobStatus: Int]) {
        for status in [JobStatus.queued, .running, .paused, .done, .failed, .cancelled] {
            registry.makeGauge(name: "rag_jobs", labels: [("status", status.rawValue)]).set(Double(counts[status] ?? 0))
        }
    }

    func text() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
