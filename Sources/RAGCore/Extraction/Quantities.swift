/// Numbers as documents write them — `1,299.00 USD`, `23.5 kg`, `2200 W`, `约350人`,
/// `4.6 out of 5`, `$5`, `1.2 million`, `三百五十` — with the unit or currency that
/// follows (or precedes) them. Digits inside codes, dates, times and phone numbers are
/// not quantities.
struct Quantity: Sendable, Equatable {
    var value: Double
    /// The word after the number, as written (`kg`, `reviews`, `人`).
    var unit: String?
    /// An ISO 4217 code, from a code or symbol around the number.
    var currency: String?
}

enum Quantities {
    static func scan(_ text: String) -> [Quantity] {
        let s = Array(Numerals.normalize(text).unicodeScalars)
        var found: [Quantity] = []
        var i = 0
        func isDigit(_ k: Int) -> Bool { k >= 0 && k < s.count && ("0"..."9").contains(s[k]) }
        func isLatin(_ k: Int) -> Bool {
            k >= 0 && k < s.count && s[k].isASCII && s[k].isWordLetter
        }
        while i < s.count {
            guard isDigit(i) else {
                i += 1
                continue
            }
            let start = i
            var digits = String.UnicodeScalarView()
            while isDigit(i) {
                digits.append(s[i])
                i += 1
                // A thousands separator: a comma and exactly three digits.
                if i < s.count, s[i] == ",", isDigit(i + 1), isDigit(i + 2), isDigit(i + 3), !isDigit(i + 4) {
                    i += 1
                }
            }
            let integerDigits = digits.count
            if i + 1 < s.count, s[i] == ".", isDigit(i + 1) {
                digits.append(".")
                i += 1
                while isDigit(i) {
                    digits.append(s[i])
                    i += 1
                }
            }
            // Part of a code (EH6, KST-2200), a date, a time or a phone number.
            let glued = isLatin(start - 1) || (start >= 2 && "-/.:".unicodeScalars.contains(s[start - 1]) && (isDigit(start - 2) || isLatin(start - 2)))
            let continues = i + 1 < s.count && ":-/.".unicodeScalars.contains(s[i]) && isDigit(i + 1)
            let leadingZero = integerDigits > 1 && digits.first == "0"
            // Letters right after the digits are a unit (12kg) or part of a code (6QF, 3rd).
            var code = false
            if isLatin(i) {
                var j = i
                var word = ""
                while isLatin(j) {
                    word.unicodeScalars.append(s[j])
                    j += 1
                }
                code = Units.unit(word) == nil && Currency.code(for: word) == nil && multipliers[word.lowercased()] == nil
                if code { i = j }
            }
            if glued || continues || leadingZero || code {
                while i < s.count, isDigit(i) || ":-/.".unicodeScalars.contains(s[i]) { i += 1 }
                continue
            }
            guard var value = Double(String(digits)) else { continue }
            if start >= 1, s[start - 1] == "-" || s[start - 1] == "−", start == 1 || s[start - 2].isExtractionSpace || s[start - 2] == "(" {
                value = -value
            }
            // A range (4–7 days) is read as its first number, with the unit after the range.
            var j = i
            if j < s.count, s[j] == "–" || s[j] == "~" || s[j] == "～", isDigit(j + 1) {
                j += 1
                while j < s.count, isDigit(j) || s[j] == "." { j += 1 }
            }
            var (word, after) = unitWord(s, from: j)
            if let w = word, let factor = multipliers[w.lowercased()] {
                value *= factor
                (word, after) = unitWord(s, from: after)
            }
            i = max(i, after)
            var currency = word.flatMap { Currency.code(for: $0) }
            if currency == nil { currency = Currency.before(s, start) }
            found.append(Quantity(value: value, unit: word, currency: currency))
        }
        return found
    }

    static let multipliers: [String: Double] = [
        "thousand": 1e3, "million": 1e6, "billion": 1e9, "bn": 1e9, "万": 1e4, "亿": 1e8, "千": 1e3,
    ]

    /// The unit word after a number: letters, `%`, `°C`, or a Chinese unit.
    private static func unitWord(_ s: [Unicode.Scalar], from start: Int) -> (String?, Int) {
        var i = start
        var spaces = 0
        while i < s.count, s[i] == " " || s[i] == "\u{00A0}" {
            i += 1
            spaces += 1
        }
        guard i < s.count, spaces <= 2 else { return (nil, start) }
        if s[i] == "%" { return ("%", i + 1) }
        if s[i] == "°" || s[i] == "℃" {
            var word = String(Character(s[i]))
            if s[i] == "°", i + 1 < s.count, s[i + 1].isWordLetter {
                word.unicodeScalars.append(s[i + 1])
                return (word, i + 2)
            }
            return (word, i + 1)
        }
        if s[i].isCJK {
            if i + 1 < s.count, s[i + 1].isCJK {
                let two = String(String.UnicodeScalarView([s[i], s[i + 1]]))
                if Units.table[two] != nil || Currency.code(for: two) != nil || multipliers[two] != nil { return (two, i + 2) }
            }
            return (String(Character(s[i])), i + 1)
        }
        guard s[i].isWordLetter else { return (nil, start) }
        var word = String.UnicodeScalarView()
        while i < s.count, s[i].isWordLetter, !s[i].isCJK, word.count < 20 {
            word.append(s[i])
            i += 1
        }
        return (String(word), i)
    }
}
