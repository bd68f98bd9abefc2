import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How far an ingest has got, for a progress bar.
public struct IngestProgress: Sendable {
    public var filesDone: Int
    public var filesTotal: Int
    public var bytesDone: Int
    public var bytesTotal: Int
    public var elapsed: Duration
}

/// What an ingest did.
public struct IngestReport: Sendable {
    public var files = 0
    public var created = 0
    public var updated = 0
    public var unchanged = 0
    public var skipped = 0
    /// Documents that went through a parser (unchanged ones do not).
    public var parsed = 0
    public var passages = 0
    public var bytes = 0
    public var failures: [(path: String, reason: String)] = []
    public var pruned: [String] = []
    public var elapsed: Duration = .zero
    /// Files handled so far (for progress).
    var done = 0
}

/// Ingests files and folders: parses on every core and writes with one writer, skipping
/// unchanged files (same content hash and metadata) before they are parsed.
///
/// Every document is atomic: it and its passages are written in one transaction, never
/// split across two. The writer waits for about ``transactionBytes`` of parsed files and
/// writes them in one transaction, indexing their passages with one FTS5 statement: FTS5
/// makes a segment per statement, and committing and merging segments one or two
/// documents at a time was most of the writer's time. A crash loses at most the
/// documents of the transaction under way; every committed one is intact.
public struct FolderIngestor: Sendable {
    public let index: SearchIndex
    public var parser = DocumentParser()
    /// Parsing threads, one per core; the writer has a thread of its own.
    public var workers = ProcessInfo.processInfo.activeProcessorCount
    /// How much source (file bytes) one transaction writes, when that much is parsed
    /// ahead of the writer: the queue between them holds at most twice that.
    ///
    /// python3-doc (55 MB), against one or two documents per transaction: 4 MB saved
    /// 6% of the ingest's CPU, 8 MB 9%, 16 MB 6%; peak RSS grew by 7, 11 and 15 MB.
    public var transactionBytes = 8 << 20
    /// The writer merges the FTS5 segments (``SearchIndex/optimize()``) once the files no
    /// parser has started weigh at most 1/`mergeAhead` of those taken so far, so that the
    /// merge overlaps the last parses. After the last write it had one core to itself, for
    /// a tenth of an ingest of python3-doc. The segments written after it are merged into
    /// one at the end (``SearchIndex/mergeRecent()``).
    ///
    /// python3-doc, interleaved: ingest 0.09 to 0.12 s (6%) faster in paired medians. The
    /// index then has two segments, not one: CPU per search was the same within 1.5%.
    static let mergeAhead = 8
    /// An ingest optimizes the FTS5 index, which rewrites all of it, only when it writes at
    /// least 1/`optimizeShare` as many documents as the index held before. A smaller one
    /// merges only the small segments it left (``SearchIndex/mergeRecent()``): changing one
    /// file of a large index must not cost a rewrite of the index.
    static let optimizeShare = 4

    public init(index: SearchIndex) {
        self.index = index
    }

    private enum Outcome: Sendable {
        case parsed(ParsedDocument, FoundFile)
        case unchanged(FoundFile)
        case failed(FoundFile, String)
    }

    public func run(
        paths: [String], prune: Bool = false, progress: (@Sendable (IngestProgress) -> Void)? = nil
    ) async throws -> IngestReport {
        let clock = ContinuousClock()
        let start = clock.now
        let scan = FileScanner().scan(paths)
        var report = IngestReport()
        report.skipped = scan.skipped
        report.failures = scan.failures

        // Two roots can hold the same relative path; the first one found keeps the id.
        var seen: [String: String] = [:]
        var files: [FoundFile] = []
        for file in scan.files {
            if let other = seen[file.id] {
                report.failures.append((file.path, "its id \(file.id) is already used by \(other)"))
            } else {
                seen[file.id] = file.path
                files.append(file)
            }
        }
        report.files = files.count + scan.failures.count
        let total = (files: files.count, bytes: files.reduce(0) { $0 + $1.size })
        let known = try await index.writer.fingerprints()
        let writer = index.writer
        let parser = self.parser

        try index.beginBulkLoad()
        defer { try? index.endBulkLoad() }
        // The report is built on the writer's thread; the lock only hands it back.
        let shared = Mutex(report)
        // How many documents were written when the FTS5 segments were merged; -1: not yet.
        let mergedAt = Atomic(-1)
        let index = self.index
        let stored = known.count
        let rewritesMuch = { @Sendable (written: Int) in written > 0 && written * Self.optimizeShare >= stored }
        let finale = IngestPipeline<FoundFile, Outcome>.Finale { consumed, unstarted in
            unstarted <= consumed / Self.mergeAhead
        } work: {
            let written = shared.withLock { $0.created + $0.updated }
            guard rewritesMuch(written) else { return }
            try index.optimize()
            mergedAt.store(written, ordering: .relaxed)
        }
        let pipeline = IngestPipeline<FoundFile, Outcome>(
            items: files, workers: workers, capacity: 2 * transactionBytes, weight: \.size)
        try await pipeline.run(batch: transactionBytes, finale: finale) { file in
            Self.process(file, stored: known[file.id], parser: parser)
        } consume: { outcomes in
            var documents: [(ParsedDocument, String?)] = []
            for case .parsed(let document, let file) in outcomes { documents.append((document, file.root)) }
            let statuses = try documents.isEmpty ? [] : writer.writeNow(documents)
            let snapshot = shared.withLock { report -> IngestProgress in
                for outcome in outcomes {
                    switch outcome {
                    case .unchanged(let file):
                        report.unchanged += 1
                        report.bytes += file.size
                    case .failed(let file, let reason):
                        report.failures.append((file.path, reason))
                    case .parsed(let document, let file):
                        report.parsed += 1
                        report.bytes += file.size
                        report.passages += document.passages.count
                    }
                }
                for status in statuses {
                    switch status {
                    case .created: report.created += 1
                    case .updated: report.updated += 1
                    case .unchanged: report.unchanged += 1
                    }
                }
                report.done += outcomes.count
                return IngestProgress(
                    filesDone: report.done, filesTotal: total.files, bytesDone: report.bytes, bytesTotal: total.bytes,
                    elapsed: clock.now - start)
            }
            progress?(snapshot)
        }
        report = shared.withLock { $0 }

        if prune {
            for root in scan.roots {
                let keep = Set(files.filter { $0.root == root }.map(\.id))
                report.pruned += try await writer.prune(root: root, keep: keep)
            }
        }
        let written = report.created + report.updated
        if written > 0 || !report.pruned.isEmpty {
            // What was written or pruned after the early merge (all of it, if there was
            // none) sits in small segments: merge the whole index, or only those.
            let merged = mergedAt.load(ordering: .relaxed)
            if merged < 0 && rewritesMuch(written + report.pruned.count) {
                try index.optimize()
            } else if merged < 0 || written > merged || !report.pruned.isEmpty {
                try index.mergeRecent()
            }
            try index.checkpoint()
        }
        report.elapsed = clock.now - start
        return report
    }

    private static func process(_ file: FoundFile, stored: StoredFingerprint?, parser: DocumentParser) -> Outcome {
        let bytes: [UInt8]
        do {
            bytes = try Self.read(file.path)
        } catch {
            return .failed(file, "cannot read the file: \(error)")
        }
        let input = DocumentInput(id: file.id, source: file.id, format: file.format, bytes: bytes)
        if input.isUnchanged(comparedTo: stored) { return .unchanged(file) }
        do {
            return .parsed(try parser.parse(input), file)
        } catch {
            return .failed(file, error.description)
        }
    }

    /// A file's bytes, read straight into an array (no intermediate `Data`).
    static func read(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        // One byte more than the file's size, so the read that finds its end needs no growth.
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size) + 1)
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(4096, bytes.count))) }
            let n = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(fd, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            if n == 0 { break }
            filled += n
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }
}
