import Foundation

/// A label as it is compared: words lower-cased, identifiers split (`releaseDate`,
/// `support_email`), plurals and British spellings folded, stop words and bare numbers
/// dropped; Chinese runs compared by character bigrams so 电话 partly matches 联系电话.
struct LabelKey: Sendable, Hashable {
    /// The words in order, for exact comparison.
    let normalized: String
    /// The stemmed words (Chinese runs whole).
    let words: [String]
    /// Words and Chinese bigrams, hashed once: labels are compared many times, and hashing
    /// non-ASCII strings normalises them every time.
    let tokens: Set<UInt64>

    init(_ text: String) {
        words = LabelText.words(text)
        normalized = words.joined(separator: " ")
        var tokens = Set<UInt64>()
        for word in words {
            if word.unicodeScalars.first?.isCJK == true {
                for bigram in LabelText.bigrams(word) { tokens.insert(Self.hash(bigram)) }
            } else {
                tokens.insert(Self.hash(word))
            }
        }
        self.tokens = tokens
    }

    /// FNV-1a over the UTF-8 bytes.
    static func hash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }

    var isEmpty: Bool { tokens.isEmpty }

    /// How well two labels name the same thing, 0...1: 1 when equal; otherwise the share of
    /// this label's tokens the other explains, weighted above the share of the other's
    /// tokens this one covers (a label is usually shorter than a description).
    func match(_ other: LabelKey) -> Double {
        guard !tokens.isEmpty, !other.tokens.isEmpty else { return 0 }
        if normalized.utf8.count == other.normalized.utf8.count, normalized.utf8.elementsEqual(other.normalized.utf8) {
            return 1
        }
        let (small, large) = tokens.count <= other.tokens.count ? (tokens, other.tokens) : (other.tokens, tokens)
        var shared = 0
        for token in small where large.contains(token) { shared += 1 }
        guard shared > 0 else { return 0 }
        let overlap = Double(shared)
        return 0.6 * overlap / Double(tokens.count) + 0.4 * overlap / Double(other.tokens.count)
    }
}

/// The labels one property may appear under in a document, each with a weight: its
/// name, its title and description (and their parts), and their synonyms in English and
/// Chinese.
struct LabelSet: Sendable {
    var phrases: [(key: LabelKey, weight: Double)] = []

    static let empty = LabelSet()

    /// A label must match at least this well to be considered.
    static let threshold = 0.6

    init() {}

    init(name: String?, schema: SchemaNode) {
        var texts: [(String, Double)] = []
        let described = [schema.title, schema.description].compactMap { $0 }
        let describedKeys = described.flatMap { [LabelKey($0)] + LabelText.segments($0).map(LabelKey.init) }
        if let name {
            let key = LabelKey(name)
            // A description that says more than the name ("product name" for `name`) is
            // the better label; the bare name alone would match "site name" too.
            let refined = describedKeys.contains { $0.tokens.isStrictSuperset(of: key.tokens) }
            texts.append((name, refined ? 0.75 : 1))
            // `weight_kg`, `power_watts`: the unit says what the value is in, not what it is.
            let words = LabelText.rawWords(name)
            if words.count > 1, let last = words.last, Units.table[last] != nil {
                texts.append((words.dropLast().joined(separator: " "), refined ? 0.7 : 0.95))
            }
        }
        for text in described {
            texts.append((text, 1))
            for part in LabelText.segments(text) { texts.append((part, 0.95)) }
        }
        var seen = Set<String>()
        for (text, weight) in texts {
            let key = LabelKey(text)
            guard !key.isEmpty, seen.insert(key.normalized).inserted else { continue }
            phrases.append((key, weight))
            for (synonym, factor) in LabelSynonyms.variants(of: key) where seen.insert(synonym.normalized).inserted {
                phrases.append((synonym, weight * factor))
            }
        }
        for phrase in phrases { allTokens.formUnion(phrase.key.tokens) }
    }

    var isEmpty: Bool { phrases.isEmpty }

    /// How well a document label names this property, 0...1.
    func score(_ label: LabelKey) -> Double {
        var best = 0.0
        for phrase in phrases where phrase.weight > best {
            best = max(best, phrase.weight * label.match(phrase.key))
        }
        return best
    }

    func scaled(_ factor: Double) -> LabelSet {
        var copy = self
        copy.phrases = phrases.map { ($0.key, $0.weight * factor) }
        return copy
    }

    /// Every token of every phrase.
    private(set) var allTokens = Set<UInt64>()

    /// Every word of every phrase: what a unit or a counted noun may be called.
    var words: Set<String> { phrases.reduce(into: Set<String>()) { $0.formUnion($1.key.words) } }
}

enum LabelText {
    static let stopWords: Set<String> = [
        "a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "and", "or", "by", "with", "is", "are", "be",
        "if", "when", "null", "its", "it", "as", "per", "this", "that", "than", "then", "which", "given", "listed",
    ]

    /// The words of a label: stemmed, without stop words and bare numbers (kept when
    /// nothing else is left).
    static func words(_ text: String) -> [String] {
        var raw: [String] = []
        var current = String.UnicodeScalarView()
        var currentIsCJK = false
        var previous: Unicode.Scalar?
        func finish() {
            if !current.isEmpty { raw.append(String(current).lowercased()) }
            current = String.UnicodeScalarView()
            currentIsCJK = false
        }
        for scalar in text.unicodeScalars {
            if scalar.isCJK {
                if !currentIsCJK { finish() }
                currentIsCJK = true
                current.append(scalar)
            } else if scalar.isWordLetter || scalar.isASCIIDigit {
                if currentIsCJK { finish() }
                if let previous, Self.isLower(previous), Self.isUpper(scalar) { finish() }
                current.append(scalar)
            } else {
                finish()
            }
            previous = scalar
        }
        finish()
        let kept = raw.filter { word in
            if word.unicodeScalars.first?.isCJK == true { return true }
            if stopWords.contains(word) || word.allSatisfy(\.isNumber) { return false }
            return word.count > 1
        }
        return (kept.isEmpty ? raw : kept).map { $0.unicodeScalars.first?.isCJK == true ? $0 : stem($0) }
    }

    /// Lower-cased words with identifiers split, nothing dropped or folded.
    static func rawWords(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        var previous: Unicode.Scalar?
        for scalar in text.unicodeScalars {
            if scalar.isWordLetter || scalar.isASCIIDigit || scalar == "%" || (!scalar.isASCII && scalar.properties.numericType != nil) {
                if let previous, isLower(previous), isUpper(scalar) {
                    words.append(String(current).lowercased())
                    current = String.UnicodeScalarView()
                }
                current.append(scalar)
            } else if !current.isEmpty {
                words.append(String(current).lowercased())
                current = String.UnicodeScalarView()
            }
            previous = scalar
        }
        if !current.isEmpty { words.append(String(current).lowercased()) }
        return words
    }

    @inline(__always)
    static func isLower(_ s: Unicode.Scalar) -> Bool { s.isASCII ? ("a"..."z").contains(s) : s.properties.isLowercase }

    @inline(__always)
    static func isUpper(_ s: Unicode.Scalar) -> Bool { s.isASCII ? ("A"..."Z").contains(s) : s.properties.isUppercase }

    /// Folds plurals and British spellings so both sides of a comparison agree.
    static func stem(_ word: String) -> String {
        var w = word
        if w.count > 4, w.hasSuffix("ies") {
            w = String(w.dropLast(3)) + "y"
        } else if w.hasSuffix("sses") || w.hasSuffix("ches") || w.hasSuffix("shes") || w.hasSuffix("xes") {
            w = String(w.dropLast(2))
        } else if w.count > 3, w.hasSuffix("s"), !w.hasSuffix("ss"), !w.hasSuffix("us"), !w.hasSuffix("is") {
            w = String(w.dropLast())
        }
        for (british, american) in [("isation", "ization"), ("iser", "izer"), ("ised", "ized"), ("ise", "ize")]
        where w.count > british.count + 2 && w.hasSuffix(british) {
            w = String(w.dropLast(british.count)) + american
            break
        }
        if w.count > 4, w.hasSuffix("tre") { w = String(w.dropLast(3)) + "ter" }
        if w.count > 5, w.hasSuffix("our") { w = String(w.dropLast(3)) + "or" }
        return w
    }

    /// Character bigrams of a Chinese run (the run itself when it is one character).
    static func bigrams(_ run: String) -> [String] {
        let chars = Array(run)
        guard chars.count > 1 else { return [run] }
        return (0..<(chars.count - 1)).map { String(chars[$0...($0 + 1)]) }
    }

    /// The parts of a description: "availability / stock status" and "地址（总部）" name
    /// their field more than once.
    static func segments(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        let scalars = Array(text.unicodeScalars)
        for (i, scalar) in scalars.enumerated() {
            let spacedSlash =
                scalar == "/" && i > 0 && i + 1 < scalars.count && scalars[i - 1] == " " && scalars[i + 1] == " "
            if spacedSlash || "()（）,;；，、：:|".unicodeScalars.contains(scalar) {
                parts.append(current)
                current = ""
            } else {
                current.unicodeScalars.append(scalar)
            }
        }
        parts.append(current)
        let trimmed = parts.map(TextClean.collapse).filter { !$0.isEmpty }
        return trimmed.count > 1 ? trimmed : []
    }
}
