/// Units a number may be given in, to convert it to the unit a property names
/// (`power_watts` from `2.2 kW`).
enum Units {
    struct Unit: Sendable, Equatable {
        var symbol: String
        var dimension: String
        var factor: Double
    }

    static let table: [String: Unit] = {
        var table: [String: Unit] = [:]
        func add(_ names: [String], _ symbol: String, _ dimension: String, _ factor: Double) {
            for name in names { table[name] = Unit(symbol: symbol, dimension: dimension, factor: factor) }
        }
        add(["g", "gram", "grams", "gramme", "grammes", "克"], "g", "mass", 1)
        add(["kg", "kgs", "kilogram", "kilograms", "kilo", "kilos", "公斤", "千克"], "kg", "mass", 1000)
        add(["mg", "milligram", "milligrams", "毫克"], "mg", "mass", 0.001)
        add(["lb", "lbs", "pound", "pounds"], "lb", "mass", 453.59237)
        add(["oz", "ounce", "ounces"], "oz", "mass", 28.349523125)
        add(["斤"], "斤", "mass", 500)
        add(["t", "tonne", "tonnes", "吨"], "t", "mass", 1_000_000)
        add(["l", "litre", "litres", "liter", "liters", "升"], "L", "volume", 1)
        add(["ml", "millilitre", "millilitres", "milliliter", "milliliters", "毫升"], "mL", "volume", 0.001)
        add(["cl", "centilitre", "centilitres"], "cL", "volume", 0.01)
        add(["gal", "gallon", "gallons"], "gal", "volume", 3.785411784)
        add(["w", "watt", "watts", "瓦"], "W", "power", 1)
        add(["kw", "kilowatt", "kilowatts", "千瓦"], "kW", "power", 1000)
        add(["v", "volt", "volts", "伏"], "V", "voltage", 1)
        add(["hz", "hertz"], "Hz", "frequency", 1)
        add(["m", "metre", "metres", "meter", "meters", "米"], "m", "length", 1)
        add(["km", "kilometre", "kilometres", "kilometer", "kilometers", "公里", "千米"], "km", "length", 1000)
        add(["cm", "centimetre", "centimetres", "centimeter", "centimeters", "厘米"], "cm", "length", 0.01)
        add(["mm", "millimetre", "millimetres", "millimeter", "millimeters", "毫米"], "mm", "length", 0.001)
        add(["in", "inch", "inches"], "in", "length", 0.0254)
        add(["ft", "foot", "feet"], "ft", "length", 0.3048)
        add(["mi", "mile", "miles"], "mi", "length", 1609.344)
        add(["s", "sec", "secs", "second", "seconds", "秒"], "s", "time", 1)
        add(["min", "mins", "minute", "minutes", "分钟"], "min", "time", 60)
        add(["h", "hr", "hrs", "hour", "hours", "小时"], "h", "time", 3600)
        add(["d", "day", "days", "天", "日"], "d", "time", 86400)
        add(["wk", "wks", "week", "weeks", "周", "星期"], "wk", "time", 604_800)
        add(["mo", "month", "months", "个月"], "mo", "time", 2_629_746)
        add(["y", "yr", "yrs", "year", "years", "年"], "yr", "time", 31_556_952)
        add(["%", "percent", "pct"], "%", "ratio", 1)
        add(["°c", "℃"], "°C", "temperature", 1)
        return table
    }()

    static func unit(_ word: String?) -> Unit? {
        guard let word else { return nil }
        return table[word.lowercased()] ?? table[word]
    }

    /// Short words that are units after a number but ordinary words in a label ("in").
    private static let ambiguousInLabels: Set<String> = [
        "in", "m", "s", "h", "d", "t", "l", "w", "v", "g", "y", "mi", "ft", "mo", "min", "日", "年", "天", "周", "月", "米", "克",
    ]

    /// The unit a property's label names (`water_tank_litres`, `weight_g`, "returns window
    /// in days"). A short unit counts only as the last word of a name.
    static func named(name: String?, in texts: [String]) -> Unit? {
        if let name {
            let words = LabelText.rawWords(name)
            if words.count > 1, let unit = words.last.flatMap({ table[$0] }) { return unit }
        }
        for text in texts {
            for word in LabelText.rawWords(text) where !ambiguousInLabels.contains(word) {
                if let unit = table[word] { return unit }
            }
        }
        return nil
    }
}
