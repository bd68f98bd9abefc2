/// Dates and date-times in the forms documents write them — `March 5, 2026`,
/// `5 March 2026`, `Thursday, 12 March 2026`, `2026-03-05`, `2026/3/5`, `2026年3月5日`,
/// `二〇〇九年六月十八日`, `<time datetime>` — normalised to ISO 8601 / RFC 3339.
enum Dates {
    enum Token: Equatable {
        case number(Int, digits: Int)
        case word(String)
        case symbol(Character)
    }

    struct Found {
        var year: Int, month: Int, day: Int
        /// The token after the date.
        var end: Int
        var iso: String {
            "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
        }
    }

    static let months: [String: Int] = [
        "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4, "may": 5,
        "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
        "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
    ]

    static func date(from value: ValueText) -> String? {
        for time in value.times { if let found = date(in: time) { return found } }
        return date(in: value.text)
    }

    static func dateTime(from value: ValueText) -> String? {
        for time in value.times { if let found = dateTime(in: time) { return found } }
        return dateTime(in: value.text)
    }

    /// The first date in the text, as `YYYY-MM-DD`.
    static func date(in text: String) -> String? {
        let tokens = tokenize(text)
        for k in tokens.indices { if let found = match(tokens, at: k) { return found.iso } }
        return nil
    }

    /// The first date with a time and a time zone, as RFC 3339; `nil` when no zone is
    /// given (a local time is not a date-time).
    static func dateTime(in text: String) -> String? {
        let tokens = tokenize(text)
        for k in tokens.indices {
            guard let found = match(tokens, at: k) else { continue }
            if let time = timeAndZone(tokens, from: found.end) { return found.iso + "T" + time }
        }
        return nil
    }

    static func tokenize(_ text: String) -> [Token] {
        let scalars = Array(Numerals.normalize(text).unicodeScalars)
        var tokens: [Token] = []
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            if ("0"..."9").contains(s) {
                var value = 0
                var digits = 0
                while i < scalars.count, ("0"..."9").contains(scalars[i]) {
                    if digits < 9 { value = value * 10 + Int(scalars[i].value - 48) }
                    digits += 1
                    i += 1
                }
                tokens.append(.number(digits > 9 ? -1 : value, digits: digits))
            } else if s.isWordLetter && !s.isCJK {
                var word = String.UnicodeScalarView()
                while i < scalars.count, scalars[i].isWordLetter, !scalars[i].isCJK {
                    word.append(scalars[i])
                    i += 1
                }
                tokens.append(.word(String(word).lowercased()))
            } else {
                if !s.isExtractionSpace { tokens.append(.symbol(Character(s))) }
                i += 1
            }
        }
        return tokens
    }

    private static func match(_ t: [Token], at k: Int) -> Found? {
        func number(_ i: Int, digits: ClosedRange<Int>) -> Int? {
            guard i < t.count, case .number(let n, let d) = t[i], digits.contains(d), n >= 0 else { return nil }
            return n
        }
        func symbol(_ i: Int, _ options: String) -> Character? {
            guard i < t.count, case .symbol(let c) = t[i], options.contains(c) else { return nil }
            return c
        }
        func month(_ i: Int) -> Int? {
            guard i < t.count, case .word(let w) = t[i] else { return nil }
            return months[w]
        }
        func ordinal(_ i: Int) -> Bool {
            guard i < t.count, case .word(let w) = t[i] else { return false }
            return ["st", "nd", "rd", "th"].contains(w)
        }
        func checked(_ y: Int, _ m: Int, _ d: Int, _ end: Int) -> Found? {
            guard y >= 1000, (1...12).contains(m), d >= 1, d <= CalendarDate.days(inMonth: m, year: y) else { return nil }
            return Found(year: y, month: m, day: d, end: end)
        }
        // 2026-03-05, 2026/3/5, 2026.3.5
        if let y = number(k, digits: 4...4), let sep = symbol(k + 1, "-/."), let m = number(k + 2, digits: 1...2),
            symbol(k + 3, String(sep)) != nil, let d = number(k + 4, digits: 1...2)
        {
            return checked(y, m, d, k + 5)
        }
        // 2026年3月5日
        if let y = number(k, digits: 4...4), symbol(k + 1, "年") != nil, let m = number(k + 2, digits: 1...2),
            symbol(k + 3, "月") != nil, let d = number(k + 4, digits: 1...2)
        {
            return checked(y, m, d, symbol(k + 5, "日号") != nil ? k + 6 : k + 5)
        }
        // 5 March 2026, 5th Mar. 2026
        if let d = number(k, digits: 1...2) {
            var i = k + 1
            if ordinal(i) { i += 1 }
            if symbol(i, "-") != nil { i += 1 }
            if let m = month(i) {
                i += 1
                if symbol(i, ".") != nil { i += 1 }
                if symbol(i, ",-") != nil { i += 1 }
                if let y = number(i, digits: 4...4) { return checked(y, m, d, i + 1) }
            }
        }
        // March 5, 2026
        if let m = month(k) {
            var i = k + 1
            if symbol(i, ".") != nil { i += 1 }
            if let d = number(i, digits: 1...2) {
                i += 1
                if ordinal(i) { i += 1 }
                if symbol(i, ",") != nil { i += 1 }
                if let y = number(i, digits: 4...4) { return checked(y, m, d, i + 1) }
            }
        }
        // 05/03/2026: only when the day cannot be the month, or with dots (day first).
        if let a = number(k, digits: 1...2), let sep = symbol(k + 1, "/.-"), let b = number(k + 2, digits: 1...2),
            symbol(k + 3, String(sep)) != nil, let y = number(k + 4, digits: 4...4)
        {
            if a > 12 || sep == "." { return checked(y, b, a, k + 5) }
            if b > 12 { return checked(y, a, b, k + 5) }
            if a == b { return checked(y, a, b, k + 5) }
        }
        return nil
    }

    /// `HH:MM[:SS] [am|pm] <zone>` after a date: `T09:15:00Z`, `, 09:15 UTC`, `18:30+01:00`.
    private static func timeAndZone(_ t: [Token], from start: Int) -> String? {
        var i = start
        while i < t.count {
            if case .symbol(let c) = t[i], c == "," { i += 1; continue }
            if case .word(let w) = t[i], w == "t" || w == "at" { i += 1; continue }
            break
        }
        guard i + 2 < t.count, case .number(var hour, let hd) = t[i], hd <= 2, t[i + 1] == .symbol(":"),
            case .number(let minute, 2) = t[i + 2]
        else { return nil }
        i += 3
        var second = 0
        if i + 1 < t.count, t[i] == .symbol(":"), case .number(let s, 2) = t[i + 1] {
            second = s
            i += 2
            if i + 1 < t.count, t[i] == .symbol("."), case .number = t[i + 1] { i += 2 }
        }
        if i < t.count, case .word(let w) = t[i], w == "am" || w == "pm" {
            if w == "pm", hour < 12 { hour += 12 }
            if w == "am", hour == 12 { hour = 0 }
            i += 1
        }
        guard hour < 24, minute < 60, second < 61, let zone = zone(t, at: i) else { return nil }
        return "\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))\(zone)"
    }

    private static func zone(_ t: [Token], at start: Int) -> String? {
        var i = start
        guard i < t.count else { return nil }
        if case .word(let w) = t[i] {
            guard ["z", "utc", "gmt"].contains(w) else { return nil }
            i += 1
            return offset(t, at: i) ?? "Z"
        }
        return offset(t, at: i)
    }

    private static func offset(_ t: [Token], at i: Int) -> String? {
        guard i + 1 < t.count, case .symbol(let sign) = t[i], sign == "+" || sign == "-" || sign == "−",
            case .number(let first, let digits) = t[i + 1]
        else { return nil }
        let s = sign == "+" ? "+" : "-"
        var hours = first
        var minutes = 0
        if digits == 4 {
            hours = first / 100
            minutes = first % 100
        } else if digits <= 2, i + 3 < t.count, t[i + 2] == .symbol(":"), case .number(let m, 2) = t[i + 3] {
            minutes = m
        } else if digits > 2 {
            return nil
        }
        guard hours < 24, minutes < 60 else { return nil }
        if hours == 0 && minutes == 0 { return "Z" }
        return "\(s)\(pad(hours, 2)):\(pad(minutes, 2))"
    }
}

private func pad(_ n: Int, _ width: Int) -> String {
    let text = String(n)
    return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
}
