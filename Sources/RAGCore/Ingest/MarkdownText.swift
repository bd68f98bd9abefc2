import Ink

/// Markdown goes through Ink to HTML and then through the same libxml2 path as HTML, so
/// headings, lists, tables and code blocks are understood the same way in both.
enum MarkdownText {
    static func extract(_ markdown: String) throws(IngestError) -> ExtractedText {
        let parsed = MarkdownParser().parse(markdown.replacingCRLF)
        var text = try LibXML.parseHTML(Array(parsed.html.utf8))
        if let title = parsed.metadata["title"]?.trimmed, !title.isEmpty { text.title = title }
        return text
    }
}
