import Foundation
import NIOCore
import RAGCore

/// A job's events as OpenAI `chat.completion.chunk`s: a first chunk with the role, one
/// chunk per token, a last one with the `finish_reason`, then `data: [DONE]`. Progress
/// events have no place in that format and are left out; an `error` event becomes an
/// `{"error": …}` data line, which the OpenAI clients raise as an exception.
struct ChatCompletionChunks: Sendable {
    let id: String
    let created: Int
    let model: String

    /// `data: {"id":…,"choices":[{"index":0,"delta":` — every chunk starts the same way.
    private var prefix: String {
        #"data: {"id":"\#(id)","object":"chat.completion.chunk","created":\#(created),"model":"\#(model)","choices":[{"index":0,"delta":"#
    }

    func writeFirst(into buffer: inout ByteBuffer) {
        buffer.writeString(prefix)
        buffer.writeString(#"{"role":"assistant","content":""},"finish_reason":null}]}"#)
        buffer.writeString("\n\n")
    }

    func write(_ kind: EventKind, _ payload: ArraySlice<UInt8>, into buffer: inout ByteBuffer) {
        switch kind {
        case .progress:
            return
        case .token:
            // The token's text, already a JSON string literal, is the content as it is.
            guard let literal = EventPayload.tokenLiteral(payload) else { return }
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
        buffer.writeString(#"},"finish_reason":null}]}"#)
        buffer.writeString("\n\n")
    }

    /// The last chunk, with the finish reason, and the end of the stream.
    func writeEnd(reason: String, into buffer: inout ByteBuffer) {
        buffer.writeString(prefix)
        buffer.writeString(#"{},"finish_reason":"\#(reason)"}]}"#)
        buffer.writeString("\n\ndata: [DONE]\n\n")
    }

    /// OpenAI knows `stop` and `length` (and tool and filter reasons rag never has).
    static func openAIReason(_ reason: FinishReason) -> String {
        reason == .length ? "length" : "stop"
    }
}
