/// Names the same field goes by, in English and Chinese. A property whose label is one of
/// a group's phrases is also looked for under the others; one whose label merely ends in
/// such a word ("home address") is looked for under the other language's phrases, a
/// little less confidently.
enum LabelSynonyms {
    static let groups: [[String]] = [
        ["name", "名称", "名字", "姓名"],
        ["full name", "姓名"],
        ["company", "company name", "organization", "organization name", "公司", "公司名称", "单位", "企业", "企业名称", "机构"],
        ["address", "addr", "地址", "住址", "通讯地址"],
        ["phone", "telephone", "tel", "phone number", "mobile", "电话", "联系电话", "电话号码", "手机"],
        ["fax", "传真"],
        ["email", "e-mail", "mail", "email address", "邮箱", "电子邮件", "电子邮箱", "电邮"],
        ["website", "web site", "url", "homepage", "home page", "网址", "网站", "主页", "官网"],
        ["postal code", "postcode", "zip", "zip code", "邮编", "邮政编码"],
        ["age", "年龄"],
        ["date", "when", "日期"],
        ["founded", "established", "founding date", "date founded", "成立日期", "成立时间", "创立时间", "成立"],
        ["employees", "headcount", "number of employees", "staff count", "员工人数", "员工数", "职工人数", "员工"],
        ["business hours", "opening hours", "hours", "营业时间", "办公时间", "工作时间"],
        ["price", "cost", "价格", "售价", "价钱", "单价"],
        ["currency", "货币", "币种"],
        ["city", "城市"],
        ["country", "国家"],
        ["province", "state", "省份"],
        ["title", "标题"],
        ["job title", "position", "role", "职位", "职务", "岗位"],
        ["department", "dept", "部门"],
        ["description", "描述", "简介", "说明"],
        ["birthday", "date of birth", "birth date", "出生日期", "生日"],
        ["gender", "sex", "性别"],
        ["weight", "重量", "净重"],
        ["start date", "入职日期", "开始日期"],
        ["release date", "launch date", "上市日期", "发布日期", "发售日期"],
        ["end date", "结束日期"],
        ["contact", "contact person", "联系人"],
        ["author", "作者"],
        ["publisher", "出版社"],
        ["brand", "品牌"],
        ["model", "型号"],
        ["quantity", "数量"],
        ["availability", "stock", "库存", "供货状态"],
        ["rating", "评分"],
        ["abstract", "summary", "摘要"],
        ["keywords", "tags", "关键词", "标签"],
        ["venue", "location", "where", "地点", "场地"],
        ["time", "时间"],
        ["nationality", "国籍"],
        ["education", "学历"],
        ["salary", "工资", "薪资"],
        ["sku", "货号"],
        ["color", "colour", "颜色"],
        ["size", "尺寸"],
        ["population", "人口"],
        ["language", "语言"],
        ["notes", "remarks", "备注"],
    ]

    private static let table: (keys: [[LabelKey]], byPhrase: [String: [Int]]) = {
        let keys = groups.map { $0.map(LabelKey.init) }
        var byPhrase: [String: [Int]] = [:]
        for (g, group) in keys.enumerated() {
            for key in group { byPhrase[key.normalized, default: []].append(g) }
        }
        return (keys, byPhrase)
    }()

    /// Other labels for `key`, each with a confidence factor.
    static func variants(of key: LabelKey) -> [(LabelKey, Double)] {
        var result: [(LabelKey, Double)] = []
        for g in table.byPhrase[key.normalized] ?? [] {
            for other in table.keys[g] where other.normalized != key.normalized { result.append((other, 0.95)) }
        }
        if result.isEmpty, let head = key.normalized.split(separator: " ").last, head != Substring(key.normalized) {
            let isChinese = head.unicodeScalars.first?.isCJK == true
            for g in table.byPhrase[String(head)] ?? [] {
                for other in table.keys[g] where (other.normalized.unicodeScalars.first?.isCJK == true) != isChinese {
                    result.append((other, 0.8))
                }
            }
        }
        return result
    }
}
