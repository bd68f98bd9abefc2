import Foundation
import Testing
import RAGTestSupport

@testable import RAGCore

extension TemporaryFolder {
    /// A fresh index file in this folder.
    func index(_ name: String = "index.sqlite") throws -> SearchIndex {
        try SearchIndex(path: url.appendingPathComponent(name).path)
    }
}

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
