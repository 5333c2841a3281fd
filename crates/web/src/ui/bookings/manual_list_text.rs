//! The interface text of the manual-handling list (zh-CN, en). A slice of its own beside
//! [`super::text`].

use crate::i18n::Entry;

pub(crate) const MANUAL_LIST_TEXT: &[Entry] = &[
    ("bookings.manual.title", "人工处理名单", "Manual handling list"),
    ("bookings.manual.link", "人工处理名单（可打印）", "Manual handling list (printable)"),
    ("bookings.manual.doc_title", "人工处理名单 · {date}", "Manual handling list · {date}"),
    ("bookings.manual.meta", "日期 {date}（北京时间）· 生成于 {at}", "Day {date} (China time) · made {at}"),
    (
        "bookings.manual.pending_hint",
        "待处理：待确认的预留，以及未结清款项、行程未结束且 7 天内开始的订单。",
        "Pending: holds awaiting confirmation, and bookings with money due whose trip has not ended and starts within 7 days.",
    ),
    ("bookings.manual.no_names", "您没有查看客户资料的权限：名单不含客户姓名和电话。", "You may not see customers: the list has no names or phones."),
    ("bookings.manual.masked", "电话已部分隐藏；有查看敏感信息权限的同事打印的名单含完整号码。", "Phones are masked; a colleague who may reveal sensitive data prints them in full."),
    ("bookings.manual.footer", "人工处理名单 {date} · 含个人信息，用后请妥善保管或销毁", "Manual handling list {date} · personal data: keep safe, shred after use"),
    ("bookings.manual.arriving", "到达（入住、出发）· {n} 单", "Arriving (check-ins, departures leaving) · {n}"),
    ("bookings.manual.departing", "离开（退房、返程）· {n} 单", "Departing (check-outs, tours returning) · {n}"),
    ("bookings.manual.pending", "待处理（待确认、待付款）· {n} 单", "Pending (awaiting confirmation or payment) · {n}"),
    ("bookings.manual.none", "无。", "None."),
    ("bookings.manual.partial", "页面显示前 {shown} 单，共 {n} 单；完整名单请下载 PDF。", "The page shows the first {shown} of {n}; the PDF holds them all."),
    ("bookings.manual.unconfirmed", "（未确认）", "(not confirmed)"),
    ("bookings.manual.col.number", "确认号", "Booking no."),
    ("bookings.manual.col.what", "产品 / 房间 / 团期", "Product / room / departure"),
    ("bookings.manual.col.dates", "日期", "Dates"),
    ("bookings.manual.col.party", "人数", "Party"),
    ("bookings.manual.col.customer", "客户", "Customer"),
    ("bookings.manual.col.phone", "电话", "Phone"),
    ("bookings.manual.col.state", "状态", "State"),
    ("bookings.manual.col.due", "应收", "Due"),
    ("bookings.manual.date", "日期", "Day"),
    ("bookings.manual.show", "查看", "Show"),
    ("bookings.manual.prev", "前一天", "Previous day"),
    ("bookings.manual.next", "后一天", "Next day"),
    ("bookings.manual.print", "打印", "Print"),
    ("bookings.manual.pdf", "下载 PDF（完整名单）", "PDF (the whole list)"),
    (
        "bookings.manual.hint",
        "系统故障时改为人工处理：打印本名单，按电话和纸面处理当天的到达、离开和待处理订单。打印时不含导航，表头在每页重复。",
        "When the systems fail, switch to manual handling: print this list and work the day's arrivals, departures and pending bookings by phone and on paper. The print has no navigation and repeats the table header on every page.",
    ),
];
