import CZstd

/// Documents' content as the index stores it: zstd-compressed UTF-8.
///
/// Keeping every document as ingested costs as much disk as the corpus itself and, in
/// an ingest, most of the writer's time; compressed (about 6 to 1 for HTML, at level 1 a
/// few hundred MB/s) it is a sixth of that. Compression runs on the parsing threads.
enum StoredContent {
    /// The `content_encoding` recorded with compressed content.
    static let encoding = "zstd"

    static func compress(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { input in
            let bound = ZSTD_compressBound(input.count)
            var output = [UInt8](repeating: 0, count: bound)
            let written = output.withUnsafeMutableBytes { out in
                ZSTD_compress(out.baseAddress, out.count, input.baseAddress, input.count, 1)
            }
            guard ZSTD_isError(written) == 0 else { return Array(input) }
            output.removeLast(bound - written)
            return output
        }
    }

    /// The text of stored content, given its `content_encoding` (`nil` for plain text).
    static func text(_ stored: [UInt8], encoding: String?) -> String {
        guard encoding == Self.encoding else { return String(decoding: stored, as: UTF8.self) }
        return stored.withUnsafeBytes { input -> String in
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
