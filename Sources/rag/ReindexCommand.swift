import ArgumentParser
import Foundation
import RAGCore

struct ReindexCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex",
        abstract: "Rebuild the index from the documents it stores, without their files.",
        discussion: """
            Parses every stored document again from the content the index keeps, with this
            version's extractor and passage splitter, and rebuilds the full-text index with
            its tokenizer: what to run after an upgrade that changes them. Titles and sources
            stay as they are. It is one transaction: a running server answers from the old
            index until it is done, and an interrupted reindex leaves the old index. A
            document that no longer parses keeps its passages, is named with the reason, and
            the exit status is 1.
            """
    )

    @OptionGroup var index: IndexOptions

    func run() async throws {
        let searchIndex = try index.open()
        let reporter = ProgressReporter(terminal: standardErrorIsTerminal, label: "reindex", unit: "documents")
        let report = try await Reindexer(index: searchIndex).run { reporter.update($0) }
        reporter.finish()
        print(
            "\(report.documents) documents: \(report.reindexed) reindexed, \(report.failures.count) failed; "
                + "\(report.passages) passages (before: \(report.passagesBefore))"
                + String(format: "; %.1f MB in %.2f s", Double(report.bytes) / 1_000_000, report.elapsed.seconds))
        for failure in report.failures {
            printError("failed: \(failure.id): \(failure.reason)")
        }
        if !report.failures.isEmpty { throw ExitCode(1) }
    }
}
