import ArgumentParser
import Foundation
import RAGCore

/// The `--db` option every subcommand takes.
struct IndexOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp("The SQLite index file (env RAG_DB).", valueName: "path"))
    var db: String = ProcessInfo.processInfo.environment["RAG_DB"] ?? ".rag/index.sqlite"

    func open() throws -> SearchIndex {
        do {
            return try SearchIndex(path: db)
        } catch {
            throw ValidationError("cannot open the index at \(db): \(error)")
        }
    }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Whether standard error is a terminal (progress bars only make sense there).
var standardErrorIsTerminal: Bool { isatty(2) == 1 }
