import Foundation
import Testing

@testable import RAGCore

@Suite("Splitting into passages")
struct PassageTests {
    @Test("Windows of roughly 100-300 words that end on sentence boundaries")
    func windows() throws {
        let sentence = "Backpressure lets a slow reader slow down a fast writer without unbounded buffers."
        let paragraphs = (0..<12).map { i in (0..<6).map { _ in sentence }.joined(separator: " ") + " End \(i)." }
        let text = "Guide\n\n" + paragraphs.joined(separator: "\n\n")
        let doc = try parse(text, format: .text)
        #expect(doc.passages.count >= 3)
        for passage in doc.passages.dropLast() {
            let words = TextMeasure.words(in: passage.text)
            #expect(words >= 100 && words <= 300, "\(words) words")
            #expect(passage.text.hasSuffix("."))
        }
        #expect(doc.passages.map(\.ordinal) == Array(1...doc.passages.count))
    }

    @Test("A very long sentence is cut at spaces; CJK text counts half a word per character")
    func longSentences() throws {
        let long = (0..<900).map { "word\($0)" }.joined(separator: " ")
        let doc = try parse("Title\n\n" + long, format: .text)
        #expect(doc.passages.count >= 3)
        #expect(doc.passages.allSatisfy { TextMeasure.words(in: $0.text) <= 300 })
        let chinese = String(repeating: "背压让慢速的读者可以减慢快速的写者。", count: 80)
        let zh = try parse("标题\n\n" + chinese, format: .text)
        #expect(zh.passages.count >= 2)
        #expect(zh.passages.allSatisfy { $0.text.unicodeScalars.count <= 620 })
        #expect(TextMeasure.words(in: "背压是 streaming 的关键") == 4)
    }

    @Test("Passages never cross headings and keep their heading path")
    func headings() throws {
        let doc = try parse(
            "<html><body><h1>Top</h1><p>Intro text.</p><h2>Part A</h2><p>Alpha text.</p><h3>Detail</h3><p>Deep text.</p><h2>Part B</h2><p>Beta text.</p></body></html>",
            format: .html)
        #expect(doc.passages.map(\.heading) == ["", "Part A", "Part A > Detail", "Part B"])
        #expect(doc.passages.map(\.text) == ["Intro text.", "Alpha text.", "Deep text.", "Beta text."])
    }

    @Test("Sentences split on English and Chinese punctuation, not on abbreviations")
    func sentences() {
        let parts = Sentences.split("Use e.g. a queue. It works! Does it? 是的。好的！Dr. Smith agrees.")
        #expect(parts == ["Use e.g. a queue.", "It works!", "Does it?", "是的。", "好的！", "Dr. Smith agrees."])
    }
}
