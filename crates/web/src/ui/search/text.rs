//! The interface text of the search page (zh-CN, en): this capability's slice of the one
//! table [`crate::i18n`] reads.

use crate::i18n::Entry;

pub(crate) const TEXT: &[Entry] = &[
    ("search.title", "搜索", "Search"),
    ("search.box", "搜索工单、消息、客户、预订、产品", "Search tickets, messages, customers, bookings, products"),
    ("search.submit", "搜索", "Search"),
    ("search.kind", "类型", "Kind"),
    ("search.all", "全部类型", "All kinds"),
    ("search.any_level", "全部等级", "Any level"),
    ("search.until", "截至", "Until"),
    ("search.kind.ticket", "工单", "Tickets"),
    ("search.kind.message", "消息", "Messages"),
    ("search.kind.customer", "客户", "Customers"),
    ("search.kind.booking", "预订", "Bookings"),
    ("search.kind.product", "产品", "Products"),
    (
        "search.hint",
        "输入中文（简体或繁体）、订单号或工单号；客户按完整的手机号、邮箱或证件号查找。",
        "Type Chinese (simplified or traditional), a booking or ticket number; customers are found by their full phone number, email address or ID number.",
    ),
    ("search.none", "没有找到匹配的结果。", "Nothing matches."),
    ("err.search.empty", "请输入要搜索的文字（中文、字母或数字）。", "Type a word to search for (letters, digits or Chinese characters)."),
    ("err.search.too_long", "搜索内容不能超过 100 个字。", "The search text is longer than 100 characters."),
    ("field.q", "搜索内容", "Search text"),
    ("field.until", "截至", "Until"),
];
