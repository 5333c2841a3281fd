//! The interface text of a booking's pre-trip documents (zh-CN, en): the panel on the booking's
//! page, the documents page, the guide form on the departures calendar, and the documents'
//! refusals (`error.code.documents.*`, read by [`crate::i18n::app_error`]). A slice of its own
//! beside [`super::text`].

use crate::i18n::Entry;

pub(crate) const DOCUMENTS_TEXT: &[Entry] = &[
    ("bookings.docs.title", "行前资料", "Pre-trip documents"),
    ("bookings.docs.view", "查看行前资料", "View the documents"),
    ("bookings.docs.pdf", "下载 PDF", "Download PDF"),
    ("bookings.docs.send", "发送行前资料", "Send pre-trip documents"),
    ("bookings.docs.resend", "重新发送", "Send again"),
    ("bookings.docs.not_sent", "尚未发送", "Not sent yet"),
    ("bookings.docs.sent", "已发送：{at}，{channel}", "Sent {at} by {channel}"),
    (
        "bookings.docs.fallback.not_deliverable",
        "客户首选{preferred}，目前无法经{preferred}发送，已改用{channel}。",
        "The customer prefers {preferred}, which nothing delivers on yet: sent by {channel} instead.",
    ),
    (
        "bookings.docs.fallback.no_address",
        "客户首选{preferred}，但没有{preferred}地址，已改用{channel}。",
        "The customer prefers {preferred} but has no address there: sent by {channel} instead.",
    ),
    ("bookings.docs.message.queued", "排队待发", "queued"),
    ("bookings.docs.message.sending", "发送中", "sending"),
    ("bookings.docs.message.retrying", "发送失败，稍后重试", "failed, will retry"),
    ("bookings.docs.message.sent", "已送出", "delivered to the mail server"),
    ("bookings.docs.message.dead", "发送失败", "could not be sent"),
    ("bookings.docs.received", "客户已确认收到：{at}", "The customer confirmed receipt {at}"),
    ("bookings.docs.not_received", "客户尚未确认收到", "The customer has not confirmed receipt yet"),
    ("bookings.docs.current", "没有变化", "Unchanged since sent"),
    ("bookings.docs.outdated", "内容已变更，请重新发送", "The content changed since it was sent: send it again"),
    ("bookings.docs.link", "客户链接", "Traveler's link"),
    (
        "bookings.docs.link_hint",
        "客户打开此链接即可查看最新的行前资料并确认收到；也可通过微信或短信转发给客户。",
        "The traveler opens this link to read the latest documents and confirm receipt; you may also pass it on by WeChat or SMS.",
    ),
    (
        "bookings.docs.print_hint",
        "打印本页即为纸质版；PDF 内容相同。",
        "Print this page for a paper copy; the PDF says the same.",
    ),
    ("bookings.docs.back", "返回预订", "Back to the booking"),
    ("bookings.docs.channel.email", "电子邮件", "email"),
    ("bookings.docs.channel.sms", "短信", "SMS"),
    ("bookings.docs.channel.wechat", "微信", "WeChat"),
    ("bookings.docs.channel.phone", "电话", "phone"),
    ("bookings.flash.documents_sent", "行前资料已发送（{channel}）", "Pre-trip documents sent ({channel})"),
    ("bookings.guide", "导游", "Guide"),
    ("bookings.guide.none", "未安排", "Not assigned"),
    ("bookings.guide.edit", "设置导游", "Set the guide"),
    ("bookings.guide.name", "导游姓名", "Guide's name"),
    ("bookings.guide.phone", "导游电话", "Guide's phone"),
    ("bookings.guide.save", "保存", "Save"),
    (
        "bookings.guide.hint",
        "姓名和电话印在该团期客人的行前资料上；两项都清空即取消。已发送的资料会提示重新发送。",
        "The name and phone are printed on this departure's pre-trip documents; clear both to remove. Documents already sent will be marked for sending again.",
    ),
    ("bookings.flash.guide_saved", "导游已保存", "Guide saved"),
    (
        "error.code.documents.not_confirmed",
        "预订确认后才能发送行前资料。",
        "Pre-trip documents are sent once the booking is confirmed.",
    ),
    (
        "error.code.documents.trip_over",
        "行程已结束，无需再发送行前资料。",
        "The trip is over: there are no documents to send.",
    ),
    (
        "error.code.documents.no_channel",
        "客户没有电子邮箱，无法发送。请在客户档案中添加邮箱，或打印 PDF 交给客户。",
        "The customer has no email address: add one to their record, or print the PDF for them.",
    ),
    (
        "error.code.documents.template_missing",
        "通知模板 booking.documents 已被删除，请在“通知模板”中恢复后再发送。",
        "The booking.documents template was deleted: restore it under Templates, then send.",
    ),
    (
        "error.code.documents.booking_closed",
        "该预订已取消，行前资料不再有效。",
        "The booking was cancelled: its documents are no longer valid.",
    ),
    (
        "error.code.documents.link_expired",
        "行程结束已超过 30 天，链接已失效。",
        "The trip ended more than 30 days ago: the link has expired.",
    ),
];
