//! The interface text of messages, deliveries, templates and the bell (zh-CN, en): this capability's slice
//! of the one table [`crate::i18n`] reads.

use crate::i18n::Entry;

pub(crate) const TEXT: &[Entry] = &[
    ("templates.vars_example", "name=张伟", "name=Zhang Wei"),
    ("inbox.title", "站内通知", "Notifications"),
    ("inbox.none", "暂无通知。", "No notifications."),
    ("inbox.mark_read", "标为已读", "Mark read"),
    ("inbox.read_all", "全部标为已读", "Mark all read"),
    ("deliveries.title", "发送记录", "Delivery history"),
    ("deliveries.all", "全部", "All"),
    ("deliveries.all_channels", "全部渠道", "All channels"),
    (
        "deliveries.related_hint",
        "关联对象：类型与 ID，如 ticket 后接工单 ID",
        "Related: type and id, e.g. ticket followed by the ticket id",
    ),
    (
        "deliveries.none",
        "没有符合条件的消息。",
        "No messages match this filter.",
    ),
    ("deliveries.older", "更早的消息", "Older messages"),
    ("deliveries.compose", "发送消息", "Send a message"),
    (
        "deliveries.queued",
        "消息已进入发送队列。",
        "The message is queued for delivery.",
    ),
    ("delivery.history", "投递记录", "Delivery attempts"),
    ("delivery.no_attempts", "尚未尝试投递。", "Not attempted yet."),
    ("delivery.back", "返回发送记录", "Back to the delivery history"),
    ("templates.title", "消息模板", "Message templates"),
    ("templates.new", "新建模板", "New template"),
    ("templates.none", "还没有模板。", "No templates yet."),
    ("templates.back", "返回模板列表", "Back to templates"),
    (
        "templates.save_version",
        "保存为新版本",
        "Save as a new version",
    ),
    ("templates.vars", "预览变量", "Preview values"),
    (
        "templates.hint",
        "占位符写作 {{ 变量名 }}；预览变量每行一个：变量名=值。已发送的消息保留其所用版本。",
        "Placeholders are {{ name }}; preview values one per line: name=value. Sent messages keep the version they used.",
    ),
    ("templates.variables", "变量", "Variables"),
    ("outcome.sent", "已送达", "Sent"),
    ("outcome.retry", "失败，稍后重试", "Failed, will retry"),
    ("outcome.dead", "失败，已放弃", "Failed, gave up"),
    ("outcome.requeued", "管理员重新排队", "Requeued by an admin"),
];
