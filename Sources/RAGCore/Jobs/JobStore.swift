import Foundation
import Synchronization

/// The jobs the server knows: live ones and finished ones kept for their time to live.
public final class JobStore: Sendable {
    public struct Settings: Sendable {
        /// A stream job nobody reads for this long is cancelled.
        public var resumeGrace: Duration
        /// Finished jobs stay readable this long.
        public var ttl: Duration
        /// A job running longer than this is cancelled (bounds a log's age).
        public var maxRunTime: Duration
        /// At most this many jobs are kept; the oldest finished ones go first.
        public var maxJobs: Int
        /// Finished jobs' logs are kept for their time to live only while they hold less
        /// than this in all; beyond it the oldest go first. Without this bound the memory
        /// kept for resuming grows with the request rate times the TTL.
        public var maxRetainedBytes: Int
        public var limits: JobLimits

        public init(
            resumeGrace: Duration = .seconds(10), ttl: Duration = .seconds(300), maxRunTime: Duration = .seconds(3600),
            maxJobs: Int = 100_000, maxRetainedBytes: Int = 32 << 20, limits: JobLimits = JobLimits()
        ) {
            self.resumeGrace = resumeGrace
            self.ttl = ttl
            self.maxRunTime = maxRunTime
            self.maxJobs = maxJobs
            self.maxRetainedBytes = maxRetainedBytes
            self.limits = limits
        }
    }

    public let settings: Settings
    private let jobs = Mutex<[String: Job]>([:])

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// A new job with a fresh random id.
    public func create(question: String, topK: Int, origin: Job.Origin) -> Job {
        var id: String
        repeat {
            id = Self.randomID()
        } while jobs.withLock({ $0[id] != nil })
        let job = Job(
            id: id, question: question, topK: topK, origin: origin, limits: settings.limits,
            resumeGrace: origin == .stream ? settings.resumeGrace : origin == .unresumableStream ? .zero : nil)
        let overflow = jobs.withLock { jobs -> Bool in
            jobs[id] = job
            return jobs.count > settings.maxJobs
        }
        if overflow { evictOldestFinished() }
        return job
    }

    /// Twelve random hex digits (48 bits): a job's id, or another one of the same kind.
    public static func randomID() -> String {
        withUnsafeBytes(of: UInt64.random(in: .min ... .max)) { $0.prefix(6).hexString }
    }

    public func job(_ id: String) -> Job? {
        jobs.withLock { $0[id] }
    }

    public var all: [Job] { jobs.withLock { Array($0.values) } }

    /// Forgets finished jobs past their time to live (and, beyond the store's bounds, the
    /// oldest finished ones) and cancels jobs that ran too long. (A stream job nobody
    /// reads is cancelled by its own timer, at the end of its grace period.) Called about
    /// once a second.
    public func sweep(now: ContinuousClock.Instant = .now) {
        var expired: [String] = []
        for job in all {
            if let finishedAt = job.finishedAt {
                if now - finishedAt > settings.ttl { expired.append(job.id) }
            } else if now - job.created > settings.maxRunTime {
                try? job.cancel()
            }
        }
        forget(expired)
        evictOldestFinished()
    }

    /// Ends every live job with an `error` event, for a server that is shutting down.
    public func failAll(code: String, message: String) {
        for job in all where !job.status.isFinished {
            job.fail(code: code, message: message)
        }
    }

    /// How many jobs are in each status.
    public func countsByStatus() -> [JobStatus: Int] {
        var counts: [JobStatus: Int] = [:]
        for job in all { counts[job.status, default: 0] += 1 }
        return counts
    }

    /// Forgets finished jobs, oldest first, while the store holds more than `maxJobs`
    /// jobs or finished ones hold more than `maxRetainedBytes`.
    private func evictOldestFinished() {
        let snapshot = all
        let finished = snapshot.compactMap { job in job.finishedAt.map { (id: job.id, at: $0, bytes: job.retainedBytes) } }
        var count = snapshot.count
        var retained = finished.reduce(0) { $0 + $1.bytes }
        guard count > settings.maxJobs || retained > settings.maxRetainedBytes else { return }
        var evicted: [String] = []
        for job in finished.sorted(by: { $0.at < $1.at }) {
            guard count > settings.maxJobs || retained > settings.maxRetainedBytes else { break }
            evicted.append(job.id)
            count -= 1
            retained -= job.bytes
        }
        forget(evicted)
    }

    private func forget(_ ids: [String]) {
        guard !ids.isEmpty else { return }
        jobs.withLock { jobs in for id in ids { jobs.removeValue(forKey: id) } }
    }
}
