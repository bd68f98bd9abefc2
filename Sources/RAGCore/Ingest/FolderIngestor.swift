import Foundation

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
}

/// Ingests files and folders: parses on every core, writes with one writer, one
/// transaction per document; unchanged files (same content hash) are neither parsed nor written.
public struct FolderIngestor: Sendable {
    public let index: SearchIndex
    public var parser = DocumentParser()
    /// Files read and parsed at once; more than the cores so the writer never waits.
    public var inFlight = ProcessInfo.processInfo.activeProcessorCount + 2

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
        let bytesTotal = files.reduce(0) { $0 + $1.size }
        let known = try await index.writer.fingerprints()
        let writer = index.writer
        let parser = self.parser

        var done = 0
        try await withThrowingTaskGroup(of: Outcome.self) { group in
            var pending = files.makeIterator()
            func startNext() {
                guard let file = pending.next() else { return }
                let stored = known[file.id]
                group.addTask { Self.process(file, stored: stored, parser: parser) }
            }
            for _ in 0..<max(1, inFlight) { startNext() }
            while let outcome = try await group.next() {
                startNext()
                switch outcome {
                case .unchanged(let file):
                    report.unchanged += 1
                    report.bytes += file.size
                case .failed(let file, let reason):
                    report.failures.append((file.path, reason))
                case .parsed(let document, let file):
                    report.parsed += 1
                    report.bytes += file.size
                    switch try await writer.write(document, root: file.root) {
                    case .created: report.created += 1
                    case .updated: report.updated += 1
                    case .unchanged: report.unchanged += 1
                    }
                    report.passages += document.passages.count
                }
                done += 1
                progress?(
                    IngestProgress(
                        filesDone: done, filesTotal: files.count, bytesDone: report.bytes, bytesTotal: bytesTotal,
                        elapsed: clock.now - start))
            }
        }

        if prune {
            for root in scan.roots {
                let keep = Set(files.filter { $0.root == root }.map(\.id))
                report.pruned += try await writer.prune(root: root, keep: keep)
            }
        }
        if report.created + report.updated > 0 || !report.pruned.isEmpty {
            try index.optimize()
            try index.checkpoint()
        }
        report.elapsed = clock.now - start
        return report
    }

    private static func process(_ file: FoundFile, stored: StoredFingerprint?, parser: DocumentParser) -> Outcome {
        let bytes: [UInt8]
        do {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file.path))
            defer { try? handle.close() }
            bytes = Array(try handle.readToEnd() ?? Data())
        } catch {
            return .failed(file, "cannot read the file: \((error as NSError).localizedDescription)")
        }
        let input = DocumentInput(id: file.id, source: file.id, format: file.format, bytes: bytes)
        if input.isUnchanged(comparedTo: stored) { return .unchanged(file) }
        do {
            return .parsed(try parser.parse(input), file)
        } catch {
            return .failed(file, error.description)
        }
    }
}
