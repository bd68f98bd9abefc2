import Foundation
import NIOCore
import RAGCore
import Synchronization

/// A job's events as OpenAI `chat.completion.chunk`s: a first chunk with the role, one
/// chunk per token, a last one with the `finish_reason`, then `data: [DONE]`. Progress
/// events have no place in that format and are left out; an `error` event becomes an
/// `{"error": …}` data line, which the OpenAI clients raise as an exception.
///
/// With `stream_options.include_usage`, every chunk has `"usage":null` and one more chunk,
/// with no choices and the `usage`, comes before `[DONE]`, as OpenAI sends them.
struct ChatCompletionChunks: Sendable {
    let id: String
    let created: Int
    let model: String
    /// Counts the answer for the usage chunk; `nil`: no usage chunk.
    var usage: ChatCompletionUsage? = nil

    /// `data: {"id":…,"model":…,"choices":[` — every chunk starts the same way.
    private var head: String {
        #"data: {"id":"\#(id)","object":"chat.completion.chunk","created":\#(created),"model":"\#(model)","choices":["#
    }

    private var prefix: String { head + #"{"index":0,"delta":"# }

    /// The end of a chunk after its choice's `finish_reason`.
    private var suffix: String { usage == nil ? "}]}\n\n" : #"}],"usage":null}"# + "\n\n" }

    func writeFirst(into buffer: inout ByteBuffer) {
        buffer.writeString(prefix)
        buffer.writeString(#"{"role":"assistant","content":""},"finish_reason":null"#)
        buffer.writeString(suffix)
    }

    func write(_ kind: EventKind, _ payload: ArraySlice<UInt8>, into buffer: inout ByteBuffer) {
        switch kind {
        case .progress:
            return
        case .token:
            // The token's text, already a JSON string literal, is the content as it is.
            guard let literal = EventPayload.tokenLiteral(payload) else { return }
            if let usage, let text = JSONValue.parse(literal)?.stringValue { usage.count(text) }
            writeDelta(contentLiteral: literal, into: &buffer)
        case .done:
            let reason = JSONValue.parse(payload)?["finish_reason"]?.stringValue.flatMap(FinishReason.init(rawValue:))
            writeEnd(reason: Self.openAIReason(reason ?? .stop), into: &buffer)
        case .error:
            let error = JSONValue.parse(payload)
            let body = JSONValue.object([
                "error": .object([
                    "message": .string(error?["message"]?.stringValue ?? "The answer could not be generated."),
                    "type": .string("server_error"),
                    "code": .string(error?["code"]?.stringValue ?? "generation_failed"),
                ])
            ])
            buffer.writeString("data: ")
            buffer.writeBytes((try? JSONCoding.data(body)) ?? Data())
            buffer.writeString("\n\ndata: [DONE]\n\n")
        }
    }

    /// Content that is complete at once (an extraction's JSON) as one chunk.
    func writeContent(_ content: String, into buffer: inout ByteBuffer) {
        var literal: [UInt8] = [0x22]
        JSONString.appendEscaped(content, to: &literal)
        literal.append(0x22)
        writeDelta(contentLiteral: literal[...], into: &buffer)
    }

    private func writeDelta(contentLiteral: ArraySlice<UInt8>, into buffer: inout ByteBuffer) {
        buffer.writeString(prefix)
        buffer.writeString(#"{"content":"#)
        buffer.writeBytes(contentLiteral)
        buffer.writeString(#"},"finish_reason":null"#)
        buffer.writeString(suffix)
    }

    /// The last chunk, with the finish reason, the usage chunk if asked for, and the end
    /// of the stream.
    func writeEnd(reason: String, into buffer: inout ByteBuffer) {
        buffer.writeString(prefix)
        buffer.writeString(#"{},"finish_reason":"\#(reason)""#)
        buffer.writeString(suffix)
        if let usage {
            buffer.writeString(head)
            buffer.writeString(#"],"usage":"#)
            buffer.writeBytes((try? JSONCoding.data(usage.json)) ?? Data("null".utf8))
            buffer.writeString("}\n\n")
        }
        buffer.writeString("data: [DONE]\n\n")
    }

    /// OpenAI knows `stop` and `length` (and tool and filter reasons rag never has).
    static func openAIReason(_ reason: FinishReason) -> String {
        reason == .length ? "length" : "stop"
    }
}

/// A completion's `usage`, its answer counted as it goes by. The counts are words, not a
/// language model's tokens: rag has no model tokenizer, and words are what its extractive
/// answers are made of.
final class ChatCompletionUsage: Sendable {
    let prompt: Int
    private let completion = Mutex((words: 0, inWord: false))

    init(question: String) {
        var counted = (words: 0, inWord: false)
        Self.count(question, into: &counted)
        prompt = counted.words
    }

    /// Counts the next piece of the answer (a word can span two pieces).
    func count(_ piece: String) {
        completion.withLock { Self.count(piece, into: &$0) }
    }

    var json: JSONValue {
        let completion = completion.withLock { $0.words }
        return .object([
            "prompt_tokens": .number(Double(prompt)),
            "completion_tokens": .number(Double(completion)),
            "total_tokens": .number(Double(prompt + completion)),
        ])
    }

    private static func count(_ text: String, into counted: inout (words: Int, inWord: Bool)) {
        for character in text {
            if character.isWhitespace {
                counted.inWord = false
            } else if !counted.inWord {
                counted.words += 1
                counted.inWord = true
            }
        }
    }
}
