import Foundation
import Testing

@testable import RAGCore

@Suite("Parsing each format with libxml2")
struct FormatTests {
    @Test("HTML: title, heading paths, readable blocks, no boilerplate")
    func html() throws {
        let doc = try parse(
            """
            <!DOCTYPE html>
            <html><head><title>Streaming Guide</title>
            <style>body { color: red }</style><script>var secret = "script text";</script></head>
            <body>
            <nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
            <div class="sphinxsidebar" role="navigation">Sidebar links</div>
            <noscript>Enable JavaScript</noscript><template><p>Template text</p></template>
            <h1>Streaming Guide</h1>
            <p>Server-Sent Events push text from server to browser.</p>
            <h2>Buffers</h2>
            <p>Every buffer must be bounded.</p>
            <h3>Kernel buffers</h3>
            <ul><li>First item</li><li>Second item</li></ul>
            <pre><code>let x = 1
            let y = 2</code></pre>
            <table><tr><th>Name</th><th>Size</th></tr><tr><td>send</td><td>4 MiB</td></tr></table>
            <footer>Copyright footer</footer>
            </body></html>
            """, format: .html)
        #expect(doc.title == "Streaming Guide")
        #expect(doc.format == .html)
        let text = doc.allText
        #expect(text.contains("Server-Sent Events push text from server to browser."))
        #expect(text.contains("First item\nSecond item"))
        #expect(text.contains("let x = 1\nlet y = 2"))
        #expect(text.contains("Name | Size\nsend | 4 MiB"))
        for boilerplate in ["secret", "color: red", "Home", "About us", "Sidebar", "JavaScript", "Template text", "footer"] {
            #expect(!text.contains(boilerplate), "\(boilerplate) should have been left out")
        }
        // The h1 repeats the title, so it is not repeated in every heading path.
        #expect(doc.headings.contains("Buffers"))
        #expect(doc.headings.contains("Buffers > Kernel buffers"))
    }

    @Test("A <title> that is the top heading plus a site suffix gives way to the heading")
    func siteSuffix() throws {
        let page = "<html><head><title>Streams — Python 3.11 documentation</title></head><body><h1>Streams<a class=\"headerlink\" href=\"#\">¶</a></h1><p>Text.</p></body></html>"
        #expect(try parse(page, format: .html).title == "Streams")
        let own = "<html><head><title>Streams and queues</title></head><body><h1>Streams</h1><p>Text.</p></body></html>"
        #expect(try parse(own, format: .html).title == "Streams and queues")
    }

    @Test("libxml2 allocates through mimalloc when the system has it, and only libxml2 does")
    func allocator() throws {
        let doc = try parse("<html><head><title>Arena</title></head><body><p>Small allocations.</p></body></html>", format: .html)
        #expect(doc.title == "Arena")
        guard let mimalloc = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL) else {
            #expect(LibXML.allocator == "malloc")
            return
        }
        defer { dlclose(mimalloc) }
        #expect(LibXML.allocator == "mimalloc")
        // Loaded locally: nothing else in the process binds to it (RTLD_DEFAULT, the global scope).
        #expect(dlsym(nil, "mi_malloc") == nil)
    }

    @Test("Malformed HTML is recovered")
    func malformedHTML() throws {
        let doc = try parse(
            "<html><body><h1>Broken <b>page</h1><p>First paragraph<p>Second <i>paragraph<div>Inside</span></div>"
                + "<li>loose item<table><td>cell</table></p></p></body>",
            format: .html)
        #expect(doc.title == "Broken page")
        #expect(doc.allText.contains("First paragraph"))
        #expect(doc.allText.contains("Second paragraph"))
        #expect(doc.allText.contains("loose item"))
        #expect(doc.allText.contains("cell"))
    }

    @Test("XHTML goes through the XML parser and is reported as html")
    func xhtml() throws {
        let doc = try parse(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">
            <html xmlns="http://www.w3.org/1999/xhtml"><head><title>Frames</title></head>
            <body><div class="breadcrumb">Home &gt; Network</div><h1>Frames</h1><h2>Opcodes</h2>
            <p>A text frame has opcode 0x1.</p></body></html>
            """, format: .xml)
        #expect(doc.format == .html)
        #expect(doc.title == "Frames")
        #expect(doc.passages.first?.heading == "Opcodes")
        #expect(doc.allText == "A text frame has opcode 0x1.")
    }

    @Test("Malformed XHTML falls back to the HTML parser")
    func malformedXHTML() throws {
        let doc = try parse(
            "<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><p>Unclosed <b>bold</p><p>Next</body></html>",
            format: .html)
        #expect(doc.allText.contains("Unclosed bold"))
        #expect(doc.allText.contains("Next"))
    }

    @Test("DocBook: article title, nested section headings, program listings")
    func docbook() throws {
        let doc = try parse(
            """
            <?xml version="1.0" encoding="utf-8"?>
            <article xmlns="http://docbook.org/ns/docbook" version="5.0">
              <info><title>Ranking with BM25</title><author><personname>A. Writer</personname></author></info>
              <section><title>Term frequency</title>
                <para>Each occurrence counts, with saturation.</para>
                <section><title>Saturation</title><para>The parameter k1 controls it.</para>
                <programlisting>score = idf * tf * (k1 + 1)
            / (tf + k1)</programlisting></section>
              </section>
              <section><title>Length</title><itemizedlist><listitem><para>b = 0.75</para></listitem></itemizedlist></section>
            </article>
            """, format: .xml)
        #expect(doc.format == .xml)
        #expect(doc.title == "Ranking with BM25")
        #expect(doc.headings.contains("Term frequency"))
        #expect(doc.headings.contains("Term frequency > Saturation"))
        #expect(doc.headings.contains("Length"))
        #expect(doc.allText.contains("score = idf * tf * (k1 + 1)\n/ (tf + k1)"))
        #expect(doc.allText.contains("b = 0.75"))
    }

    @Test("Atom: feed title, one section per entry, escaped HTML content parsed")
    func atom() throws {
        let doc = try parse(
            """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
              <title>Streaming notes</title><id>urn:uuid:1</id><updated>2026-01-01T00:00:00Z</updated>
              <entry><title>Heartbeats</title><id>urn:uuid:2</id><updated>2026-01-02T00:00:00Z</updated>
                <content type="html">&lt;p&gt;Send a &lt;b&gt;comment&lt;/b&gt; every 15 seconds.&lt;/p&gt;</content></entry>
              <entry><title>Retry</title><id>urn:uuid:3</id><updated>2026-01-03T00:00:00Z</updated>
                <summary>The retry field is in milliseconds.</summary></entry>
            </feed>
            """, format: .xml)
        #expect(doc.title == "Streaming notes")
        #expect(doc.headings.contains("Heartbeats"))
        #expect(doc.headings.contains("Retry"))
        #expect(doc.allText.contains("Send a comment every 15 seconds."))
        #expect(!doc.allText.contains("<p>"))
        #expect(!doc.allText.contains("urn:uuid"))
    }

    @Test("Markdown: headings, lists, code, front-matter title")
    func markdown() throws {
        let doc = try parse(
            """
            # Backpressure

            Intro paragraph with *emphasis* and a [link](https://example.com).

            ## Bounded queues

            - one
            - two

            ```swift
            let queue = Deque<Int>()
            ```
            """, format: .markdown)
        #expect(doc.title == "Backpressure")
        #expect(doc.headings.contains("Bounded queues"))
        #expect(doc.allText.contains("Intro paragraph with emphasis and a link."))
        #expect(doc.allText.contains("one\ntwo"))
        #expect(doc.allText.contains("let queue = Deque<Int>()"))
    }

    @Test("Plain text: first non-empty line is the title, short lines are headings")
    func text() throws {
        let doc = try parse(
            "\n\n  Harbour Notes\n\nThe harbour freezes in winter.\nShips wait outside.\n\nTides\n\nTwice a day, as everywhere.\n",
            format: .text)
        #expect(doc.title == "Harbour Notes")
        #expect(doc.allText.contains("The harbour freezes in winter. Ships wait outside."))
        #expect(doc.headings.contains("Tides"))
    }

    @Test("Formats are guessed from content")
    func guess() {
        #expect(DocumentFormat.guess(Array("<!DOCTYPE html><p>x".utf8)) == .html)
        #expect(DocumentFormat.guess(Array("<?xml version=\"1.0\"?><a/>".utf8)) == .xml)
        #expect(DocumentFormat.guess(Array("# Title\n\nText".utf8)) == .markdown)
        #expect(DocumentFormat.guess(Array("Just words.".utf8)) == .text)
    }
}
