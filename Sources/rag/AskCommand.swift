import ArgumentParser
import Foundation
import RAGCore

struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Answer a question from the index, streamed to the terminal.",
        discussion: """
            Progress (searching, the passages found) goes to standard error and the answer,
            with [n] citations, to standard output as it is written. --json prints the
            API's JSON-mode answer instead.
            """
    )

    @OptionGroup var index: IndexOptions
    @OptionGroup var generation: GeneratorOptions

    @Argument(help: "The question, in any language.")
    var question: String

    @Option(name: [.customShort("k"), .customLong("top-k")], help: "How many passages to retrieve (1-50).")
    var topK = 5

    @Flag(help: "Print the API's JSON answer instead of streaming text.")
    var json = false

    @Option(help: ArgumentHelp("Pause between the generator's pieces.", valueName: "ms"))
    var tokenDelayMs = 0

    func validate() throws {
        guard (1...50).contains(topK) else { throw ValidationError("--top-k must be between 1 and 50.") }
        let trimmed = question.trimmed
        guard !trimmed.isEmpty else { throw ValidationError("The question must not be empty.") }
        guard question.unicodeScalars.count <= 2000 else {
            throw ValidationError("The question is longer than 2000 characters.")
        }
    }

    func run() async throws {
        let searchIndex = try index.open()
        let tokenizer = TextTokenizer(instances: 1)
        let pipeline = AskPipeline(
            retriever: Retriever(index: searchIndex, tokenizer: tokenizer),
            generator: generation.languageModel
                ?? ExtractiveGenerator(tokenizer: tokenizer, pieceDelay: .milliseconds(tokenDelayMs)))
        let job = Job(id: "cli", question: question.trimmed, topK: topK, origin: .api, limits: JobLimits())
        pipeline.announce(job)

        if json {
            guard let outcome = await pipeline.run(job) else { throw ExitCode(1) }
            print(try JSONCoding.string(outcome))
            return
        }
        let printer = Task { try await TerminalPrinter().follow(job) }
        await pipeline.run(job)
        try await printer.value
        if job.status == .failed { throw ExitCode(1) }
    }
}

/// Follows a job's events: progress to standard error, the answer to standard output.
struct TerminalPrinter {
    func follow(_ job: Job) async throws {
        let signal = StreamSignal()
        job.attach(signal)
        defer { job.detach(signal) }
        var seq = 0
        while true {
            var lines: [(EventKind, JSONValue)] = []
            let (last, finished) = job.read(after: seq) { _, kind, payload in
                if let value = JSONValue.parse(payload) { lines.append((kind, value)) }
            }
            seq = last
            for (kind, value) in lines { show(kind, value) }
            if finished { break }
            if lines.isEmpty { _ = await signal.wait() }
        }
    }

    private func show(_ kind: EventKind, _ value: JSONValue) {
        switch kind {
        case .progress:
            switch value["stage"]?.stringValue {
            case "found":
                printError("found \(value["count"]?.intValue ?? 0) passages:")
                for (n, doc) in (value["docs"]?.arrayValue ?? []).enumerated() {
                    let heading = doc["heading"]?.stringValue.flatMap { $0.isEmpty ? nil : " — \($0)" } ?? ""
                    printError("  [\(n + 1)] \(doc["title"]?.stringValue ?? "")\(heading)")
                }
            case let stage?:
                printError("\(stage)…")
            case nil:
                break
            }
        case .token:
            FileHandle.standardOutput.write(Data((value["text"]?.stringValue ?? "").utf8))
        case .done:
            print("")
            if let citations = value["citations"]?.arrayValue, !citations.isEmpty {
                for citation in citations {
                    let n = citation["index"]?.intValue.map(String.init) ?? "?"
                    printError("[\(n)] \(citation["title"]?.stringValue ?? "") (\(citation["doc_id"]?.stringValue ?? ""))")
                }
            }
        case .error:
            printError("error: \(value["message"]?.stringValue ?? "the answer could not be generated")")
        }
    }
}
