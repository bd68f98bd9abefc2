/// Why a document could not be ingested. Each case reads as the reason shown to users.
public enum IngestError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case binary
    case tooLarge(bytes: Int, limit: Int)
    case unsupportedEncoding(String)
    case badEncoding(String)
    case malformed(String)
    case entityExpansion
    case externalEntity
    case noText
    case unreadable(String)

    public var description: String {
        switch self {
        case .empty: "the document is empty"
        case .binary: "the file is binary, not text"
        case .tooLarge(let bytes, let limit): "the document is \(bytes) bytes, over the limit of \(limit)"
        case .unsupportedEncoding(let name): "the character encoding \(name) is not supported"
        case .badEncoding(let name): "the bytes are not valid \(name)"
        case .malformed(let why): "malformed markup: \(why)"
        case .entityExpansion: "entity expansion exceeds the limit (an entity bomb?)"
        case .externalEntity: "the document uses an external entity, which is never loaded"
        case .noText: "the document contains no text"
        case .unreadable(let why): "cannot read the file: \(why)"
        }
    }
}
