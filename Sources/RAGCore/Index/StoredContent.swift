import CZstd

/// A document's content as the index stores it: zstd-compressed UTF-8, with the
/// `content_encoding` that says how to read it back.
///
/// Keeping every document as ingested costs as much disk as the corpus itself and, in
/// an ingest, most of the writer's time; compressed (about 6 to 1 for HTML, at level 1 a
/// few hundred MB/s) it is a sixth of that. Compression runs on the parsing threads.
struct StoredContent: Sendable {
    /// The `content_encoding` of compressed content.
    static let zstd = "zstd"

    var bytes: [UInt8]
    /// `zstd`, or `nil` for plain UTF-8 (rows written before compression, or content
    /// zstd refused): the encoding always describes the bytes it is stored with.
    var encoding: String?

    init(bytes: [UInt8], encoding: String?) {
        self.bytes = bytes
        self.encoding = encoding
    }

    /// Compresses `text`.
    init(compressing text: String) {
        var text = text
        self = text.withUTF8 { input in
            let bound = ZSTD_compressBound(input.count)
            var output = [UInt8](repeating: 0, count: bound)
            let written = output.withUnsafeMutableBytes { out in
                ZSTD_compress(out.baseAddress, out.count, input.baseAddress, input.count, 1)
            }
            guard ZSTD_isError(written) == 0 else { return StoredContent(bytes: Array(input), encoding: nil) }
            output.removeLast(bound - written)
            return StoredContent(bytes: output, encoding: Self.zstd)
        }
    }

    /// The content as text.
    var text: String {
        guard encoding == Self.zstd else { return String(decoding: bytes, as: UTF8.self) }
        return bytes.withUnsafeBytes { input -> String in
            let size = ZSTD_getFrameContentSize(input.baseAddress, input.count)
            // ZSTD_CONTENTSIZE_UNKNOWN and _ERROR are the two largest values.
            guard size < UInt64.max - 1, size < UInt64(Int.max) else { return "" }
            var output = [UInt8](repeating: 0, count: Int(size))
            let read = output.withUnsafeMutableBytes { out in
                ZSTD_decompress(out.baseAddress, out.count, input.baseAddress, input.count)
            }
            guard ZSTD_isError(read) == 0 else { return "" }
            return String(decoding: output[..<read], as: UTF8.self)
        }
    }
}
