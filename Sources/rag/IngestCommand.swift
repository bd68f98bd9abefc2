import ArgumentParser
import Foundation
import RAGCore

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Index files and folders of documents.",
        discussion: """
            Indexes .html/.htm/.xhtml, .xml (DocBook, Atom, RSS, any XML), .md and .txt files.
            Folders are walked recursively; hidden files and other extensions are skipped.
            A document's id is its path relative to the folder it was found in. Unchanged
            files are neither parsed nor written again. Files that fail are named with the
            reason, the others are committed, and the exit status is 1.
            """
    )

    @OptionGroup var index: IndexOptions

    @Argument(help: ArgumentHelp("Files and folders to ingest.", valueName: "path"))
    var paths: [String]

    @Flag(help: "Remove documents ingested from these folders whose files are gone.")
    var prune = false

    func run() async throws {
        let searchIndex = try index.open()
        let reporter = ProgressReporter(terminal: standardErrorIsTerminal)
        let report = try await FolderIngestor(index: searchIndex).run(paths: paths, prune: prune) { progress in
            reporter.update(progress)
        }
        reporter.finish()
        print(summary(report))
        for failure in report.failures {
            printError("failed: \(failure.path): \(failure.reason)")
        }
        if !report.failures.isEmpty { throw ExitCode(1) }
    }

    private func summary(_ r: IngestReport) -> String {
        let seconds = r.elapsed.seconds
        let megabytes = Double(r.bytes) / 1_000_000
        var line =
            "\(r.files) files: \(r.created) created, \(r.updated) updated, \(r.unchanged) unchanged, "
            + "\(r.failures.count) failed, \(r.skipped) skipped; \(r.parsed) parsed, \(r.passages) passages"
        if !r.pruned.isEmpty { line += ", \(r.pruned.count) pruned" }
        line += String(
            format: "; %.1f MB in %.2f s (%.1f MB/s)", megabytes, seconds, seconds > 0 ? megabytes / seconds : 0)
        return line
    }
}

/// A progress bar on a terminal, a log line every few seconds otherwise.
final class ProgressReporter: @unchecked Sendable {
    private let terminal: Bool
    /// Starts each log line: the subcommand's name.
    private let label: String
    /// What the counts count.
    private let unit: String
    private let lock = NSLock()
    private var lastDraw = ContinuousClock.now - .seconds(10)
    private var drawn = false

    init(terminal: Bool, label: String = "ingest", unit: String = "files") {
        self.terminal = terminal
        self.label = label
        self.unit = unit
    }

    func update(_ p: IngestProgress) {
        lock.lock()
        defer { lock.unlock() }
        let now = ContinuousClock.now
        let last = p.filesDone == p.filesTotal
        guard last || now - lastDraw >= (terminal ? .milliseconds(100) : .seconds(5)) else { return }
        lastDraw = now
        let seconds = max(0.001, p.elapsed.seconds)
        let rate = Double(p.bytesDone) / 1_000_000 / seconds
        let remaining = rate > 0 ? Double(p.bytesTotal - p.bytesDone) / 1_000_000 / rate : 0
        let numbers = String(
            format: "%d/%d %@  %.1f/%.1f MB  %.1f MB/s  ETA %@", p.filesDone, p.filesTotal, unit,
            Double(p.bytesDone) / 1_000_000, Double(p.bytesTotal) / 1_000_000, rate, eta(remaining))
        if terminal {
            let width = 24
            let fraction = p.filesTotal == 0 ? 1 : Double(p.filesDone) / Double(p.filesTotal)
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[2K\(bar) \(numbers)".utf8))
            drawn = true
        } else {
            printError("\(label): \(numbers)")
        }
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }

    private func eta(_ seconds: Double) -> String {
        seconds < 60 ? String(format: "%.0fs", seconds) : String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60)
    }
}
