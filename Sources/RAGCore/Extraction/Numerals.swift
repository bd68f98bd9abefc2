/// Full-width forms and Chinese numerals as ASCII digits, so one scanner reads them all.
enum Numerals {
    private static let digits: [Character: Int] = [
        "〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
    ]
    private static let multipliers: [Character: Int] = ["十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000]

    static func normalize(_ text: String) -> String {
        var out = ""
        var run: [Character] = []
        func flush() {
            if !run.isEmpty { out += convert(run) }
            run = []
        }
        for character in text {
            if digits[character] != nil || multipliers[character] != nil {
                run.append(character)
                continue
            }
            flush()
            if let scalar = character.unicodeScalars.first, character.unicodeScalars.count == 1,
                (0xFF01...0xFF5E).contains(scalar.value)
            {
                // Full-width ASCII (１２３，：／) is ASCII shifted.
                out.unicodeScalars.append(Unicode.Scalar(scalar.value - 0xFEE0)!)
            } else {
                out.append(character)
            }
        }
        flush()
        return out
    }

    private static func convert(_ run: [Character]) -> String {
        let hasDigit = run.contains { digits[$0] != nil }
        guard hasDigit || run.first == "十" else { return String(run) }
        if !run.contains(where: { multipliers[$0] != nil }) {
            return String(run.map { Character(String(digits[$0]!)) })
        }
        var total = 0
        var section = 0
        var number = 0
        for character in run {
            if let d = digits[character] {
                number = d
            } else if let m = multipliers[character] {
                if m >= 10_000 {
                    total = (total + section + number) * m
                    section = 0
                } else {
                    section += (number == 0 ? 1 : number) * m
                }
                number = 0
            }
        }
        return String(total + section + number)
    }
}
