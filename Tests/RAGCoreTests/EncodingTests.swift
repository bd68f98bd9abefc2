import Foundation
import Testing

@testable import RAGCore

@Suite("Character encodings come out as UTF-8")
struct EncodingTests {
    /// Encodes text with iconv, as a file in that encoding would hold it.
    func encode(_ text: String, _ encoding: String) throws -> [UInt8] {
        let cd = iconv_open(encoding, "UTF-8")
        defer { iconv_close(cd) }
        var input = Array(text.utf8)
        var output = [UInt8](repeating: 0, count: input.count * 4 + 16)
        var inLeft = input.count
        var outLeft = output.count
        input.withUnsafeMutableBytes { inRaw in
            output.withUnsafeMutableBytes { outRaw in
                var inPtr: UnsafeMutablePointer<CChar>? = inRaw.baseAddress!.assumingMemoryBound(to: CChar.self)
                var outPtr: UnsafeMutablePointer<CChar>? = outRaw.baseAddress!.assumingMemoryBound(to: CChar.self)
                _ = iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft)
            }
        }
        #expect(inLeft == 0)
        return Array(output[..<(output.count - outLeft)])
    }

    @Test("A GBK page whose charset comes after non-ASCII bytes")
    func gbkMetaAfterTitle() throws {
        // libxml2 alone would read this as Latin-1: the <title> precedes the declaration.
        let page = """
            <html><head><title>背压与流式输出</title>
            <meta http-equiv="Content-Type" content="text/html; charset=gbk"></head>
            <body><h1>背压</h1><p>背压是指下游消费者处理不过来时，让上游生产者放慢速度的机制。</p></body></html>
            """
        let doc = try parse(bytes: try encode(page, "GBK"), format: .html)
        #expect(doc.title == "背压与流式输出")
        #expect(doc.allText.contains("背压是指下游消费者处理不过来时"))
        #expect(doc.storedContent.encoding == StoredContent.zstd)
        #expect(doc.storedContent.text.contains("背压与流式输出"))
    }

    @Test("Big5, Shift_JIS, EUC-KR and Latin-1 pages", arguments: [
        ("Big5", "big5", "串流輸出與背壓"),
        ("SHIFT_JIS", "shift_jis", "ストリーミングと背圧"),
        ("EUC-KR", "euc-kr", "스트리밍과 배압"),
        ("ISO-8859-1", "iso-8859-1", "Café crème à la française"),
    ])
    func legacyEncodings(iconvName: String, label: String, text: String) throws {
        let page = "<html><head><meta charset=\"\(label)\"><title>\(text)</title></head><body><p>\(text) body.</p></body></html>"
        let doc = try parse(bytes: try encode(page, iconvName), format: .html)
        #expect(doc.title == text)
        #expect(doc.allText.contains("\(text) body."))
    }

    @Test("The XML declaration's encoding is honoured")
    func xmlDeclaration() throws {
        let xml = "<?xml version=\"1.0\" encoding=\"GB2312\"?><article><title>全文检索</title><para>分词是全文检索的基础。</para></article>"
        let doc = try parse(bytes: try encode(xml, "GB2312"), format: .xml)
        #expect(doc.title == "全文检索")
        #expect(doc.allText.contains("分词是全文检索的基础。"))
    }

    @Test("BOMs and undeclared legacy bytes")
    func byteOrderMarksAndGuesses() throws {
        let utf8 = try parse(bytes: [0xEF, 0xBB, 0xBF] + Array("Plain title\n\nÜber alles.".utf8), format: .text)
        #expect(utf8.title == "Plain title")
        let utf16 = try parse(bytes: [0xFF, 0xFE] + (try encode("Zeile eins\n\nStraße.", "UTF-16LE")), format: .text)
        #expect(utf16.allText.contains("Straße."))
        // Undeclared and not UTF-8: GB18030 if it decodes, else windows-1252.
        let gbk = try parse(bytes: try encode("标题\n\n背压是流式系统的关键。", "GB18030"), format: .text)
        #expect(gbk.allText.contains("背压是流式系统的关键。"))
        let latin = try parse(bytes: try encode("Menu\n\nCafé au lait, crème brûlée.", "WINDOWS-1252"), format: .text)
        #expect(latin.allText.contains("Café au lait, crème brûlée."))
    }

    @Test("Content given as Unicode ignores the encoding it declares")
    func unicodeContentIgnoresMeta() throws {
        let page = "<html><head><meta charset=\"gbk\"><title>银杏桥</title></head><body><p>银杏桥位于璃川镇。</p></body></html>"
        let doc = try DocumentParser().parse(DocumentInput(id: "x", format: .html, text: page))
        #expect(doc.title == "银杏桥")
        #expect(doc.allText == "银杏桥位于璃川镇。")
    }
}
