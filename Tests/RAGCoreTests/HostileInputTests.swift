import Foundation
import Testing
import RAGTestSupport

@testable import RAGCore

@Suite("Hostile and broken documents")
struct HostileInputTests {
    @Test("XXE: an external entity never pulls a file into the index")
    func xxe() throws {
        let secret = try TemporaryFolder()
        let path = try secret.write("secret.txt", "TOP-SECRET-CONTENT")
        let xml = """
            <?xml version="1.0"?>
            <!DOCTYPE article [ <!ENTITY xxe SYSTEM "file://\(path)"> <!ENTITY passwd SYSTEM "file:///etc/passwd"> ]>
            <article><title>Hello</title><para>&xxe; &passwd;</para></article>
            """
        #expect(throws: IngestError.externalEntity) { try parse(xml, format: .xml) }
        // Parameter entities and external DTDs are refused too.
        let dtd = """
            <?xml version="1.0"?>
            <!DOCTYPE article [ <!ENTITY % remote SYSTEM "file://\(path)"> %remote; ]>
            <article><title>Hello</title><para>Body text here.</para></article>
            """
        do throws(IngestError) {
            let doc = try parse(dtd, format: .xml)
            #expect(!doc.allText.contains("TOP-SECRET"))
        } catch {
            #expect(error == .externalEntity || String(describing: error).contains("malformed"))
        }
    }

    @Test("Billion laughs fails fast with a clear error and bounded memory")
    func billionLaughs() throws {
        var dtd = "<!ENTITY lol0 \"lollollollollollollollollollol\">"
        for i in 1...9 {
            dtd += "<!ENTITY lol\(i) \"" + String(repeating: "&lol\(i - 1);", count: 10) + "\">"
        }
        let xml = "<?xml version=\"1.0\"?><!DOCTYPE lolz [\(dtd)]><lolz>&lol9;</lolz>"
        let before = peakResidentBytes()
        #expect(throws: IngestError.entityExpansion) { try parse(xml, format: .xml) }
        #expect(peakResidentBytes() - before < 64 << 20, "an entity bomb must not eat memory")
        #expect(IngestError.entityExpansion.description.contains("entity"))
    }

    @Test("Quadratic blowup (one large entity used many times) is refused")
    func quadraticBlowup() throws {
        let big = String(repeating: "x", count: 50_000)
        let uses = String(repeating: "&big;", count: 50_000)
        let xml = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY big \"\(big)\">]><r>\(uses)</r>"
        let before = peakResidentBytes()
        #expect(throws: IngestError.entityExpansion) { try parse(xml, format: .xml) }
        #expect(peakResidentBytes() - before < 256 << 20)
    }

    @Test("Internal entities within limits are expanded")
    func internalEntities() throws {
        let xml = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY product \"rag\">]><article><title>About &product;</title><para>&product; answers questions.</para></article>"
        let doc = try parse(xml, format: .xml)
        #expect(doc.title == "About rag")
        #expect(doc.allText == "rag answers questions.")
    }

    @Test("Malformed XML is an error naming the problem and its line")
    func malformedXML() throws {
        do throws(IngestError) {
            _ = try parse("<?xml version=\"1.0\"?>\n<article>\n<para>open</article>", format: .xml)
            Issue.record("expected an error")
        } catch {
            guard case .malformed(let why) = error else { Issue.record("unexpected \(error)"); return }
            #expect(why.contains("line"))
        }
    }

    @Test("Deeply nested documents do not crash the parser")
    func deepNesting() throws {
        let depth = 100_000
        let html = String(repeating: "<div>", count: depth) + "deep text" + String(repeating: "</div>", count: depth)
        let doc = try parse(html, format: .html)
        #expect(doc.allText.contains("deep text"))
        let xml = "<r>" + String(repeating: "<a>", count: 5000) + "x" + String(repeating: "</a>", count: 5000) + "</r>"
        #expect(throws: IngestError.self) { try parse(xml, format: .xml) }
    }

    @Test("Empty, blank and binary files are refused with their reason")
    func emptyAndBinary() throws {
        #expect(throws: IngestError.empty) { try parse(bytes: [], format: .text) }
        #expect(throws: IngestError.empty) { try parse("  \n\t \n", format: .markdown) }
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D]
        png += (0..<2000).map { UInt8($0 % 256) }
        #expect(throws: IngestError.binary) { try parse(bytes: png, format: .html) }
        #expect(throws: IngestError.noText) { try parse("<html><body><script>x()</script></body></html>", format: .html) }
    }

    @Test("Documents over the size limit are refused")
    func tooLarge() throws {
        let parser = DocumentParser(maxBytes: 1000)
        #expect(throws: IngestError.tooLarge(bytes: 2000, limit: 1000)) {
            try parser.parse(DocumentInput(id: "big", bytes: Array(repeating: UInt8(ascii: "a"), count: 2000)))
        }
    }
}
