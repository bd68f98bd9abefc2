/// The kinds of document rag indexes, as the API names them.
///
/// XHTML is parsed with the XML parser but reported as `html`.
public enum DocumentFormat: String, Codable, Sendable, CaseIterable {
    case html
    case xml
    case markdown
    case text

    /// The format a file extension stands for, or `nil` when rag does not index such files.
    public init?(fileExtension: String) {
        switch fileExtension.lowercased() {
        case "html", "htm", "xhtml", "xht": self = .html
        case "xml", "atom", "rss", "dbk", "docbook": self = .xml
        case "md", "markdown", "mdown", "mkd": self = .markdown
        case "txt", "text": self = .text
        default: return nil
        }
    }

    /// The format of a media type (`Content-Type` without parameters), if rag indexes it.
    public init?(mediaType: String) {
        switch mediaType.lowercased() {
        case "text/html", "application/xhtml+xml": self = .html
        case "application/xml", "text/xml", "application/atom+xml", "application/rss+xml",
            "application/docbook+xml":
            self = .xml
        case "text/markdown", "text/x-markdown": self = .markdown
        case "text/plain": self = .text
        default: return nil
        }
    }

    /// Guesses the format of content that came without one, from its first bytes.
    public static func guess(_ bytes: some Collection<UInt8>) -> DocumentFormat {
        let head = String(decoding: bytes.prefix(4096), as: UTF8.self)
        let trimmed = head.drop { $0.isWhitespace || $0 == "\u{FEFF}" }.lowercased()
        if trimmed.hasPrefix("<!doctype html") || trimmed.hasPrefix("<html") || trimmed.contains("<html")
            || trimmed.contains("<body") || trimmed.contains("<p>") || trimmed.contains("<div")
            || trimmed.contains("xmlns=\"http://www.w3.org/1999/xhtml\"")
        {
            return .html
        }
        if trimmed.hasPrefix("<?xml") || (trimmed.hasPrefix("<") && trimmed.contains(">")) {
            return .xml
        }
        for line in head.split(separator: "\n", omittingEmptySubsequences: true).prefix(60) {
            let l = line.drop { $0 == " " }
            if l.hasPrefix("# ") || l.hasPrefix("## ") || l.hasPrefix("### ") || l.hasPrefix("```")
                || l.hasPrefix("- ") || l.hasPrefix("* ") || l.contains("](")
            {
                return .markdown
            }
        }
        return .text
    }
}

/// How a document's bytes are parsed; finer than ``DocumentFormat``.
enum ParseMode: Sendable {
    case html
    case xhtml
    case xml
    case markdown
    case text
}
