import Foundation
import Testing

@testable import RAGCore

/// A temporary folder, removed when the test ends.
final class TemporaryFolder {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("rag-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }

    @discardableResult
    func write(_ relative: String, _ text: String) throws -> String {
        try write(relative, bytes: Array(text.utf8))
    }

    @discardableResult
    func write(_ relative: String, bytes: [UInt8]) throws -> String {
        let file = url.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file.path
    }

    func remove(_ relative: String) throws {
        try FileManager.default.removeItem(at: url.appendingPathComponent(relative))
    }

    /// A fresh index file in this folder.
    func index(_ name: String = "index.sqlite") throws -> SearchIndex {
        try SearchIndex(path: url.appendingPathComponent(name).path)
    }
}

/// The repository's root, found from this file's path.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

func parse(_ text: String, format: DocumentFormat? = nil, id: String = "doc") throws(IngestError) -> ParsedDocument {
    try DocumentParser().parse(DocumentInput(id: id, source: id, format: format, bytes: Array(text.utf8)))
}

func parse(bytes: [UInt8], format: DocumentFormat? = nil, id: String = "doc") throws(IngestError) -> ParsedDocument {
    try DocumentParser().parse(DocumentInput(id: id, source: id, format: format, bytes: bytes))
}

extension ParsedDocument {
    /// All passage text joined, for "contains" checks.
    var allText: String { passages.map(\.text).joined(separator: "\n") }
    var headings: [String] { passages.map(\.heading) }
}

/// Peak resident memory of this process so far, in bytes.
func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_maxrss * 1024
}
