import Foundation

/// Booleans as documents write them: yes/no, true/false, 是/否, 有/无, in stock.
enum Booleans {
    private static let phrases: [(String, Bool)] = [
        ("not available", false), ("not included", false), ("not supported", false), ("out of stock", false),
        ("in stock", true), ("yes", true), ("true", true), ("on", true), ("available", true), ("included", true),
        ("supported", true), ("enabled", true), ("allowed", true), ("accessible", true), ("y", true), ("no", false),
        ("false", false), ("off", false), ("none", false), ("unavailable", false), ("not", false), ("excluded", false),
        ("unsupported", false), ("disabled", false), ("n", false),
    ]
    private static let chinese: [(String, Bool)] = [
        ("不支持", false), ("不可以", false), ("没有", false), ("不", false), ("否", false), ("无", false), ("支持", true),
        ("可以", true), ("允许", true), ("是", true), ("有", true), ("可", true),
    ]
    private static let marks: [Character: Bool] = ["✓": true, "✔": true, "☑": true, "✗": false, "✘": false, "☐": false]

    /// The truth value the text starts with.
    static func parse(_ text: String) -> Bool? {
        let trimmed = TextClean.collapse(text)
        guard let first = trimmed.first else { return nil }
        if let mark = marks[first] { return mark }
        if first.unicodeScalars.first!.isCJK {
            for (phrase, value) in chinese where trimmed.hasPrefix(phrase) { return value }
            return nil
        }
        let words = LabelText.rawWords(trimmed)
        for (phrase, value) in phrases {
            let parts = phrase.split(separator: " ").map(String.init)
            if words.count >= parts.count, Array(words.prefix(parts.count)) == parts { return value }
        }
        return nil
    }
}

/// Email addresses in text and `mailto:` links.
enum Emails {
    static func find(in value: ValueText) -> String? {
        if let email = all(in: value.text).first { return email }
        for link in value.links {
            guard link.lowercased().hasPrefix("mailto:") else { continue }
            let address = link.dropFirst(7).split(separator: "?", maxSplits: 1).first.map(String.init) ?? ""
            let decoded = TextClean.trim(address.removingPercentEncoding ?? address)
            if FormatCheck.isEmail(decoded), all(in: decoded).first == decoded { return decoded }
        }
        return nil
    }

    static func all(in text: String) -> [String] {
        let s = Array(text.unicodeScalars)
        var found: [String] = []
        func local(_ c: Unicode.Scalar) -> Bool {
            c.isASCII && (c.isWordLetter || c.isASCIIDigit || "._%+-'".unicodeScalars.contains(c))
        }
        func domain(_ c: Unicode.Scalar) -> Bool { c.isASCII && (c.isWordLetter || c.isASCIIDigit || c == "." || c == "-") }
        for at in s.indices where s[at] == "@" {
            var l = at
            while l > 0, local(s[l - 1]) { l -= 1 }
            var r = at + 1
            while r < s.count, domain(s[r]) { r += 1 }
            while l < at, s[l] == "." { l += 1 }
            while r > at + 1, s[r - 1] == "." || s[r - 1] == "-" { r -= 1 }
            guard l < at, r > at + 1 else { continue }
            let candidate = String(String.UnicodeScalarView(s[l..<r]))
            let host = candidate.split(separator: "@").last ?? ""
            guard let tld = host.split(separator: ".").last, tld.count >= 2, tld.allSatisfy(\.isLetter),
                FormatCheck.isEmail(candidate)
            else { continue }
            found.append(candidate)
        }
        return found
    }
}

/// Absolute URLs in text and links, made valid URIs (non-ASCII percent-encoded).
enum URLs {
    static func find(in value: ValueText) -> String? {
        if let url = all(in: value.text).first { return url }
        for link in value.links {
            let trimmed = TextClean.trim(link)
            let lower = trimmed.lowercased()
            if lower.hasPrefix("http://") || lower.hasPrefix("https://"), let url = valid(trimmed) { return url }
        }
        return nil
    }

    static func all(in text: String) -> [String] {
        guard text.utf8.contains(subsequence: "http".utf8) || text.utf8.contains(subsequence: "HTTP".utf8) else { return [] }
        var found: [String] = []
        let scalars = Array(text.unicodeScalars)
        let stops = Set("<>\"'“”「」（），。、；".unicodeScalars)
        var i = 0
        while i + 7 < scalars.count {
            let head = String(String.UnicodeScalarView(scalars[i..<min(i + 8, scalars.count)])).lowercased()
            guard head.hasPrefix("http://") || head.hasPrefix("https://") else {
                i += 1
                continue
            }
            var end = i
            while end < scalars.count, !scalars[end].isExtractionSpace, !stops.contains(scalars[end]) { end += 1 }
            var candidate = String(String.UnicodeScalarView(scalars[i..<end]))
            while let last = candidate.last, ".,;:!?".contains(last) || (last == ")" && !candidate.contains("("))
                || (last == "]" && !candidate.contains("["))
            {
                candidate.removeLast()
            }
            if let url = valid(candidate) { found.append(url) }
            i = max(end, i + 1)
        }
        return found
    }

    /// The URL with characters a URI may not hold percent-encoded; `nil` if it has no host.
    static func valid(_ url: String) -> String? {
        var out = ""
        let scalars = Array(url.unicodeScalars)
        for (i, s) in scalars.enumerated() {
            let validEscape =
                s == "%" && i + 2 < scalars.count && scalars[i + 1].properties.isASCIIHexDigit
                && scalars[i + 2].properties.isASCIIHexDigit
            if s.value > 0x20, s.value < 0x7F, !"<>\"{}|\\^` ".unicodeScalars.contains(s), s != "%" || validEscape {
                out.unicodeScalars.append(s)
            } else {
                for byte in String(s).utf8 { out += String(format: "%%%02X", byte) }
            }
        }
        guard let schemeEnd = out.range(of: "://"), out[schemeEnd.upperBound...].contains(where: \.isLetter),
            FormatCheck.isURI(out)
        else { return nil }
        return out
    }
}

/// Matching a value to an `enum`: exactly, ignoring case and separators (`in_stock` is
/// "In stock"), by synonym ("sold out" is `out_of_stock`), by a phrase the value
/// contains ("In stock – ships today"), or by initials ("HR").
enum Enums {
    private static let synonyms: [[String]] = [
        ["in stock", "instock", "available", "available now", "in store", "有货", "现货", "库存充足"],
        ["out of stock", "outofstock", "sold out", "unavailable", "not available", "not in stock", "缺货", "无货", "售罄", "已售完"],
        ["preorder", "pre order", "coming soon", "available for preorder", "预售", "预订"],
        ["discontinued", "no longer available", "停产", "已停产"],
        ["male", "man", "m", "男", "男性"],
        ["female", "woman", "f", "女", "女性"],
        ["yes", "true", "是"],
        ["no", "false", "否"],
    ]

    static func match(_ text: String, options: [String]) -> String? {
        let value = TextClean.collapse(text)
        guard !value.isEmpty else { return nil }
        if options.contains(value) { return value }
        let phrase = normalized(value)
        guard !phrase.isEmpty else { return nil }
        let optionPhrases = options.map(normalized)
        if let i = optionPhrases.firstIndex(of: phrase) { return options[i] }
        // A synonym the value is, or contains (longest first, so "not in stock" wins over "in stock").
        var concepts: [(length: Int, group: Int)] = []
        for (g, group) in synonyms.enumerated() {
            for synonym in group where synonym == phrase || contains(phrase, synonym) {
                concepts.append((synonym.count, g))
            }
        }
        for concept in concepts.sorted(by: { $0.length > $1.length }) {
            for (i, option) in optionPhrases.enumerated() where synonyms[concept.group].contains(option) {
                return options[i]
            }
        }
        let contained = optionPhrases.indices.filter { optionPhrases[$0].count >= 2 && contains(phrase, optionPhrases[$0]) }
        if let best = contained.max(by: { optionPhrases[$0].count < optionPhrases[$1].count }) { return options[best] }
        let compact = phrase.replacingOccurrences(of: " ", with: "")
        if compact.count >= 2 {
            for (i, option) in optionPhrases.enumerated() {
                let words = option.split(separator: " ")
                if words.count >= 2, String(words.compactMap(\.first)) == compact { return options[i] }
            }
        }
        return nil
    }

    /// A unit against unit options: `kilograms` is `kg`.
    static func matchUnit(_ word: String, options: [String]) -> String? {
        if options.contains(word) { return word }
        if let option = options.first(where: { $0.lowercased() == word.lowercased() }) { return option }
        guard let unit = Units.unit(word) else { return nil }
        return options.first { Units.unit($0) == unit }
    }

    static func normalized(_ text: String) -> String {
        LabelText.rawWords(text).joined(separator: " ")
    }

    private static func contains(_ phrase: String, _ part: String) -> Bool {
        (" " + phrase + " ").contains(" " + part + " ") || (part.unicodeScalars.first?.isCJK == true && phrase.contains(part))
    }
}

/// A plain string value: collapsed whitespace; placeholders that mean "none" are no value.
enum PlainValue {
    private static let placeholders: Set<String> = ["-", "–", "—", "--", "―", "n/a", "na", "/", "…", "...", "null", "nil", "tbd", "暂无", "无"]

    static func value(_ value: ValueText) -> String? {
        let text = TextClean.collapse(value.text)
        guard !text.isEmpty, !placeholders.contains(text.lowercased()) else { return nil }
        return text
    }
}
