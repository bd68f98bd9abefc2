import Foundation
import Testing
import RAGTestSupport

/// Runs the real `rag` binary that `swift build` put next to the test bundle.
struct CLI {
    static let binary: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("rag")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return repositoryRoot.appendingPathComponent(".build/debug/rag")
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var output: String { stdout + stderr }
    }

    /// Runs `rag` with `arguments` and waits for it.
    @discardableResult
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let process = try start(arguments, environment: environment)
        let out = process.standardOutput as! Pipe
        let err = process.standardError as! Pipe
        // Read both pipes while the process runs, so a full pipe never blocks it.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            outData = out.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        process.waitUntilExit()
        group.wait()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Starts `rag` without waiting.
    static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "RAG_DB")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        try process.run()
        return process
    }
}

/// The JSON of `rag search --json`.
struct SearchOutput: Decodable {
    struct Hit: Decodable {
        var doc_id: String
        var passage_id: String
        var title: String
        var heading: String
        var snippet: String
        var score: Double
    }

    var query: String
    var hits: [Hit]
}

func search(_ query: String, db: String, k: Int = 10) throws -> [SearchOutput.Hit] {
    let result = try CLI.run(["search", query, "--db", db, "-k", "\(k)", "--json"])
    #expect(result.status == 0, "rag search failed: \(result.output)")
    return try JSONDecoder().decode(SearchOutput.self, from: Data(result.stdout.utf8)).hits
}
