/// ISO 4217 codes, from codes and symbols.
enum Currency {
    static let codes: Set<String> = [
        "USD", "EUR", "GBP", "JPY", "CNY", "HKD", "TWD", "AUD", "CAD", "CHF", "SEK", "NOK", "DKK", "INR", "KRW", "SGD", "NZD",
        "BRL", "MXN", "ZAR", "RUB", "PLN", "CZK", "HUF", "TRY", "AED", "SAR", "THB", "MYR", "IDR", "PHP", "VND", "ILS",
        "ISK", "RON", "BGN", "CLP", "COP", "ARS", "PEN", "EGP", "NGN", "KES", "PKR", "BDT", "UAH", "QAR", "KWD",
    ]

    static let names: [String: String] = [
        "$": "USD", "US$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "￥": "CNY", "元": "CNY", "人民币": "CNY", "rmb": "CNY",
        "美元": "USD", "欧元": "EUR", "英镑": "GBP", "日元": "JPY", "円": "JPY", "₩": "KRW", "₹": "INR", "港币": "HKD",
        "dollars": "USD", "euros": "EUR", "euro": "EUR", "pounds sterling": "GBP", "yuan": "CNY", "yen": "JPY",
    ]

    static func code(for word: String) -> String? {
        if word.count == 3, word == word.uppercased(), codes.contains(word) { return word }
        return names[word] ?? names[word.lowercased()]
    }

    /// A symbol or code just before a number (`$5`, `USD 5`, `¥5`).
    static func before(_ s: [Unicode.Scalar], _ start: Int) -> String? {
        var i = start - 1
        while i >= 0, s[i] == " " { i -= 1 }
        guard i >= 0 else { return nil }
        if let code = names[String(Character(s[i]))] {
            if s[i] == "$", i >= 2, String(String.UnicodeScalarView(s[(i - 2)...i])) == "US$" { return "USD" }
            return code
        }
        var j = i
        while j >= 0, s[j].isASCII, s[j].properties.isUppercase { j -= 1 }
        if i - j == 3 { return code(for: String(String.UnicodeScalarView(s[(j + 1)...i]))) }
        return nil
    }

    /// The currency of a value: from its amounts, or any code or symbol in it.
    static func code(in value: ValueText) -> String? {
        if let code = Quantities.scan(value.text).lazy.compactMap(\.currency).first { return code }
        for word in value.text.split(whereSeparator: { !$0.isLetter && !"$€£¥￥₩₹".contains($0) }) {
            if let code = code(for: String(word)) { return code }
        }
        return nil
    }
}
