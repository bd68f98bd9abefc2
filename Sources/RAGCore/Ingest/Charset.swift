import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds a document's character encoding and turns its bytes into UTF-8.
///
/// libxml2 honours `<meta charset>` only if it comes before any non-ASCII byte, and a
/// wrong guess silently produces mojibake, so rag sniffs the encoding itself (BOM, then
/// the transport's charset, then the document's own declaration) and hands libxml2 UTF-8.
enum Charset {
    /// The encoding a document declares or implies, as an iconv name; `nil` means
    /// "undeclared": UTF-8 if the bytes are valid UTF-8, otherwise a best guess.
    static func sniff(_ bytes: [UInt8], format: DocumentFormat, declared: String? = nil) -> String? {
        if let bom = byteOrderMark(bytes) { return bom.encoding }
        if let declared, let name = normalize(declared) { return name }
        let head = Array(bytes.prefix(4096))
        if let xmlDecl = xmlDeclarationEncoding(head), let name = normalize(xmlDecl) { return name }
        if format == .html, let meta = metaCharset(head), let name = normalize(meta) { return name }
        return nil
    }

    /// Decodes `bytes` to a String. `encoding` comes from ``sniff(_:format:declared:)``.
    /// Undeclared content that is not valid UTF-8 is tried as GB18030 (strictly), then
    /// as windows-1252, which accepts anything.
    static func decode(_ bytes: [UInt8], encoding: String?) throws(IngestError) -> String {
        var body = bytes[...]
        if let bom = byteOrderMark(bytes) { body = bytes.dropFirst(bom.length) }
        switch encoding {
        case "UTF-8", nil:
            if let text = String(validating: body, as: UTF8.self) { return text }
            if encoding == "UTF-8" {
                return String(decoding: body, as: UTF8.self)  // declared UTF-8 with bad bytes: replace them
            }
            if let text = try? transcode(body, from: "GB18030") { return text }
            return try transcode(body, from: "WINDOWS-1252")
        case let name?:
            return try transcode(body, from: name)
        }
    }

    // MARK: - Sniffing

    private static func byteOrderMark(_ b: [UInt8]) -> (encoding: String, length: Int)? {
        if b.count >= 3, b[0] == 0xEF, b[1] == 0xBB, b[2] == 0xBF { return ("UTF-8", 3) }
        if b.count >= 2, b[0] == 0xFF, b[1] == 0xFE { return ("UTF-16LE", 2) }
        if b.count >= 2, b[0] == 0xFE, b[1] == 0xFF { return ("UTF-16BE", 2) }
        return nil
    }

    /// `encoding="…"` from `<?xml version="1.0" encoding="…"?>`.
    private static func xmlDeclarationEncoding(_ head: [UInt8]) -> String? {
        guard head.starts(with: Array("<?xml".utf8)),
            let end = firstIndex(of: Array("?>".utf8), in: head, from: 0)
        else { return nil }
        let decl = String(decoding: head[..<end], as: UTF8.self)
        return attributeValue(named: "encoding", in: decl)
    }

    /// The charset of the first `<meta charset>` or `<meta http-equiv content="…; charset=…">`.
    private static func metaCharset(_ head: [UInt8]) -> String? {
        let lower = head.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        var from = 0
        while let start = firstIndex(of: Array("<meta".utf8), in: lower, from: from) {
            let end = lower[start...].firstIndex(of: UInt8(ascii: ">")) ?? lower.count
            let tag = String(decoding: lower[start..<end], as: UTF8.self)
            if let value = attributeValue(named: "charset", in: tag) { return value }
            if let content = attributeValue(named: "content", in: tag), let r = content.range(of: "charset=") {
                let value = content[r.upperBound...].prefix { $0 != ";" && $0 != " " && $0 != "\"" && $0 != "'" }
                if !value.isEmpty { return String(value) }
            }
            from = end
        }
        return nil
    }

    private static func attributeValue(named name: String, in tag: String) -> String? {
        var search = tag[...]
        while let r = search.range(of: name) {
            let before = search[..<r.lowerBound].last
            var rest = search[r.upperBound...].drop { $0 == " " }
            search = search[r.upperBound...]
            guard before == nil || before == " " || before == "\t" || before == "\n" || before == "<",
                rest.first == "="
            else { continue }
            rest = rest.dropFirst().drop { $0 == " " }
            if let quote = rest.first, quote == "\"" || quote == "'" {
                return String(rest.dropFirst().prefix { $0 != quote })
            }
            return String(rest.prefix { $0 != " " && $0 != ">" && $0 != "/" && $0 != ";" })
        }
        return nil
    }

    private static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from: Int) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        var i = from
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0], haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// Maps a declared charset label to the iconv name used for it; `nil` for labels that
    /// cannot be trusted or are not supported (the content is then sniffed as undeclared).
    static func normalize(_ label: String) -> String? {
        let l = label.trimmingCharacters(in: CharacterSet(charactersIn: " \t\r\n\"'")).lowercased()
        switch l {
        case "utf-8", "utf8", "unicode-1-1-utf-8": return "UTF-8"
        case "gbk", "gb2312", "gb_2312-80", "x-gbk", "cp936", "gb18030", "euc-cn", "csgb2312", "chinese":
            return "GB18030"
        case "big5", "big5-hkscs", "x-x-big5", "cn-big5", "csbig5": return "BIG5-HKSCS"
        case "shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "windows-31j", "cp932", "csshiftjis":
            return "CP932"
        case "euc-jp", "x-euc-jp": return "EUC-JP"
        case "iso-2022-jp": return "ISO-2022-JP"
        case "euc-kr", "ks_c_5601-1987", "windows-949", "cp949": return "CP949"
        case "iso-8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii", "windows-1252", "cp1252", "iso8859-1":
            return "WINDOWS-1252"
        case "utf-16", "utf-16le": return "UTF-16LE"
        case "utf-16be": return "UTF-16BE"
        case "koi8-r": return "KOI8-R"
        case "koi8-u": return "KOI8-U"
        default:
            if l.hasPrefix("iso-8859-") || l.hasPrefix("windows-125") { return l.uppercased() }
            return nil
        }
    }

    // MARK: - Transcoding

    /// Converts bytes in `encoding` to a String with iconv; fails on any invalid sequence.
    static func transcode(_ bytes: ArraySlice<UInt8>, from encoding: String) throws(IngestError) -> String {
        let cd = iconv_open("UTF-8", encoding)
        if cd == iconv_t(bitPattern: -1) { throw .unsupportedEncoding(encoding) }
        defer { iconv_close(cd) }
        if bytes.isEmpty { return "" }
        var output = [UInt8](repeating: 0, count: bytes.count * 2 + 16)
        var input = Array(bytes)
        var produced = 0
        var failed = false
        input.withUnsafeMutableBufferPointer { inBuf in
            var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuf.baseAddress!)
                .assumingMemoryBound(to: CChar.self)
            var inLeft = inBuf.count
            while inLeft > 0 {
                let room = output.count - produced
                var outLeft = room
                let result = output.withUnsafeMutableBufferPointer { outBuf -> Int in
                    var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuf.baseAddress! + produced)
                        .assumingMemoryBound(to: CChar.self)
                    return iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
                }
                produced += room - outLeft
                if result == -1 {
                    if errno == E2BIG {
                        output.append(contentsOf: repeatElement(0, count: output.count))
                        continue
                    }
                    failed = true
                    return
                }
            }
        }
        if failed { throw .badEncoding(encoding) }
        return String(decoding: output[..<produced], as: UTF8.self)
    }
}
