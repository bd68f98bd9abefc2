import Foundation

/// How long an answer's two phases took.
public struct Timings: Codable, Sendable, Equatable {
    public var retrievalMs: Double
    public var generationMs: Double

    public static let zero = Timings(retrievalMs: 0, generationMs: 0)

    enum CodingKeys: String, CodingKey {
        case retrievalMs = "retrieval_ms"
        case generationMs = "generation_ms"
    }
}

/// A retrieved passage as `found.docs` and JSON-mode `docs` list it.
public struct FoundDoc: Codable, Sendable, Equatable {
    public var docID: String
    public var passageID: String
    public var title: String
    public var heading: String
    public var source: String
    public var score: Double
    public var snippet: String

    public init(_ hit: SearchHit) {
        docID = hit.docID
        passageID = hit.passageID
        title = hit.title
        heading = hit.heading
        source = hit.source
        score = hit.score
        snippet = hit.snippet
    }

    enum CodingKeys: String, CodingKey {
        case docID = "doc_id"
        case passageID = "passage_id"
        case title, heading, source, score, snippet
    }
}

/// The JSON payloads of job events: one line each, as SSE `data:` requires.
public enum EventPayload {
    private struct Found: Encodable {
        var stage = "found"
        var message: String
        var count: Int
        var docs: [FoundDoc]
    }

    private struct Stage: Encodable {
        var stage: String
        var message: String
    }

    private struct Done: Encodable {
        var answer: String
        var citations: [Citation]
        var finishReason: FinishReason
        var timings: Timings

        enum CodingKeys: String, CodingKey {
            case answer, citations
            case finishReason = "finish_reason"
            case timings
        }
    }

    private struct ErrorBody: Encodable {
        var code: String
        var message: String
    }

    private static func encode(_ value: some Encodable) -> [UInt8] {
        // Encoding these plain structs cannot fail.
        Array((try? JSONCoding.data(value)) ?? Data("{}".utf8))
    }

    /// `{"message":"searching","query":"…","stage":"searching"}` (the encoder's sorted key
    /// order), escaped by hand: it is the first event of every ask, before the first byte.
    static func searching(_ query: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(query.utf8.count + 56)
        out.append(contentsOf: #"{"message":"searching","query":""#.utf8)
        JSONString.appendEscaped(query, to: &out)
        out.append(contentsOf: #"","stage":"searching"}"#.utf8)
        return out
    }

    static func found(_ docs: [FoundDoc]) -> [UInt8] {
        encode(Found(message: "found \(docs.count) docs", count: docs.count, docs: docs))
    }

    static func stage(_ stage: String) -> [UInt8] { encode(Stage(stage: stage, message: stage)) }

    static func done(answer: String, citations: [Citation], finishReason: FinishReason, timings: Timings) -> [UInt8] {
        encode(Done(answer: answer, citations: citations, finishReason: finishReason, timings: timings))
    }

    static func error(code: String, message: String) -> [UInt8] { encode(ErrorBody(code: code, message: message)) }

    /// `{"text":"…"}`, escaped by hand: tokens are most of the events and this is their hot path.
    static func token(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 12)
        out.append(contentsOf: #"{"text":""#.utf8)
        JSONString.appendEscaped(text, to: &out)
        out.append(contentsOf: #""}"#.utf8)
        return out
    }

    /// The JSON string literal (quoted, escaped) of a ``token(_:)`` payload's text, for
    /// framings that put the text in other JSON without decoding and encoding it again.
    public static func tokenLiteral(_ payload: ArraySlice<UInt8>) -> ArraySlice<UInt8>? {
        let open = #"{"text":"#.utf8.count
        guard payload.count > open + 1, payload.starts(with: #"{"text":"#.utf8) else { return nil }
        return payload.dropFirst(open).dropLast()
    }
}

/// JSON string escaping (RFC 8259), for payloads built by hand.
public enum JSONString {
    public static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case 0x22: out.append(contentsOf: [0x5C, 0x22])
            case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: out.append(contentsOf: [0x5C, 0x6E])
            case 0x0D: out.append(contentsOf: [0x5C, 0x72])
            case 0x09: out.append(contentsOf: [0x5C, 0x74])
            case 0..<0x20:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
    }
}
