import CSQLiteFTS
import Foundation

/// The index's tokenizer chain, callable from Swift: stems English and splits CJK into
/// bigrams exactly as the FTS5 index does, so the generator and the relevance check
/// see the same terms as the search.
public final class TextTokenizer: @unchecked Sendable {
    // Each C tokenizer serves one caller at a time; a few of them spread the load.
    private let handles: [OpaquePointer]
    private let locks: [NSLock]
    private let next = NSLock()
    private var turn = 0

    public init(instances: Int = 4) {
        var handles: [OpaquePointer] = []
        for _ in 0..<max(1, instances) {
            guard let handle = rag_tokenizer_new() else { fatalError("cannot create the FTS5 tokenizer") }
            handles.append(handle)
        }
        self.handles = handles
        self.locks = handles.map { _ in NSLock() }
    }

    deinit {
        for handle in handles { rag_tokenizer_free(handle) }
    }

    /// A token and where it is in the text (UTF-8 byte offsets).
    public struct Token: Sendable, Equatable {
        public var text: String
        public var start: Int
        public var end: Int
        /// At the same position as the token before it (a CJK character beside its bigram).
        public var colocated: Bool
    }

    /// The tokens of `text`: a query's tokens (`query: true`, CJK as bigrams only) or a
    /// document's (CJK as bigrams plus single characters).
    public func tokens(_ text: String, query: Bool = true) -> [String] {
        positionedTokens(text, query: query).map(\.text)
    }

    /// The tokens of `text` with their byte ranges.
    public func positionedTokens(_ text: String, query: Bool = false) -> [Token] {
        final class Collector {
            var tokens: [Token] = []
        }
        let collector = Collector()
        let slot = pick()
        locks[slot].lock()
        defer { locks[slot].unlock() }
        var text = text
        text.withUTF8 { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                _ = rag_tokenizer_run(
                    handles[slot], query ? 1 : 0, chars.baseAddress, Int32(chars.count),
                    Unmanaged.passUnretained(collector).toOpaque()
                ) { context, token, length, start, end, colocated in
                    guard let context, let token else { return 0 }
                    let collector = Unmanaged<Collector>.fromOpaque(context).takeUnretainedValue()
                    collector.tokens.append(
                        Token(
                            text: String(decoding: UnsafeRawBufferPointer(start: token, count: Int(length)), as: UTF8.self),
                            start: Int(start), end: Int(end), colocated: colocated != 0))
                    return 0
                }
            }
        }
        return collector.tokens
    }

    private func pick() -> Int {
        next.lock()
        defer { next.unlock() }
        turn = (turn + 1) % handles.count
        return turn
    }
}
