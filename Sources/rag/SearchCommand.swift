import ArgumentParser
import Foundation
import RAGCore

struct SearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search the index and print the best passages.",
        discussion: "The query is plain text in any language; it is never interpreted as FTS5 syntax."
    )

    @OptionGroup var index: IndexOptions

    @Argument(help: "What to search for.")
    var query: String

    @Option(name: .short, help: "How many passages to return (1-50).")
    var k = 10

    @Flag(help: "Print the API's JSON instead of text.")
    var json = false

    func validate() throws {
        guard (1...50).contains(k) else { throw ValidationError("-k must be between 1 and 50.") }
    }

    func run() async throws {
        let searchIndex = try index.open()
        let clock = ContinuousClock()
        let start = clock.now
        let hits = try await searchIndex.reader.search(query, limit: k)
        let took = clock.now - start
        if json {
            let body = SearchResponse(query: query, tookMs: took.milliseconds, hits: hits)
            print(try JSONCoding.string(body))
            return
        }
        if hits.isEmpty {
            print("No passage matches \"\(query)\".")
            return
        }
        for (n, hit) in hits.enumerated() {
            let heading = hit.heading.isEmpty ? "" : " — \(hit.heading)"
            print("\(n + 1). \(hit.title)\(heading)  [\(String(format: "%.2f", hit.score))]")
            print("   \(hit.snippet)")
            print("   \(hit.source)")
        }
    }
}
