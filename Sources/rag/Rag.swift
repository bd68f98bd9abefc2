import ArgumentParser

@main
struct Rag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rag",
        abstract: "Retrieval-augmented question answering over your documents.",
        discussion: """
            rag indexes HTML, XHTML, XML, Markdown and plain text in a SQLite FTS5 index and
            answers questions from it with cited passages, streamed as they are written.
            Every subcommand works on the local index directly; `rag serve` puts the same
            index behind an HTTP API.
            """,
        subcommands: [
            ServeCommand.self, IngestCommand.self, ReindexCommand.self, SearchCommand.self, AskCommand.self,
            ExtractCommand.self,
        ]
    )
}
