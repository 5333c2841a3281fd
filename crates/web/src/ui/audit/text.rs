//! The interface text of the audit log and its actions (zh-CN, en): this capability's slice
//! of the one table [`crate::i18n`] reads.

use crate::i18n::Entry;

pub(crate) const TEXT: &[Entry] = &[
    ("audit.title", "审计日志", "Audit log"),
    (
        "audit.hint",
        "每次写入和每次查看敏感信息都会记录；各条记录以哈希链相连，`tripdesk audit verify` 可检出数据库中的篡改。",
        "Every write and every reveal is recorded; entries are hash-chained so `tripdesk audit verify` detects edits made in the database.",
    ),
    ("audit.action", "操作", "Action"),
    ("audit.all_actions", "全部操作", "All actions"),
    ("audit.actor", "操作人", "Actor"),
    ("audit.entity", "对象", "Entity"),
    ("audit.at", "时间", "Time"),
    ("audit.summary", "摘要", "Summary"),
    ("audit.count", "共 {n} 条", "{n} entries"),
    ("action.save", "保存", "Save"),
    ("action.create", "创建", "Create"),
    ("action.cancel", "取消", "Cancel"),
    ("action.edit", "编辑", "Edit"),
    ("action.back", "返回", "Back"),
    ("action.retry", "重新发送", "Retry"),
    ("action.send", "发送", "Send"),
    ("action.preview", "预览", "Preview"),
];
