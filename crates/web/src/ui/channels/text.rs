//! The interface text of the inbound channels' settings (zh-CN, en): this capability's slice
//! of the one table [`crate::i18n`] reads.

use crate::i18n::Entry;

pub(crate) const TEXT: &[Entry] = &[
    // The mailboxes page (`mailboxes.rs`).
    ("nav.mailboxes", "收件邮箱", "Mailboxes"),
    ("mailboxes.title", "收件邮箱（IMAP）", "Mailboxes (IMAP)"),
    (
        "mailboxes.hint",
        "系统定时读取下列邮箱：新邮件自动建单，回复邮件归入原工单（按 Message-ID、In-Reply-To、References 和主题中的工单号），自动回复、休假回复和退信只记录、不回复。坐席的回复从发信服务器发出，带上线程信息，客户的邮件客户端会把它归入同一会话。",
        "The mailboxes below are read on a schedule: a new mail opens a ticket, an answer threads into its ticket (by Message-ID, In-Reply-To, References and the ticket number in the subject); auto-replies, out-of-office replies and bounces are recorded and never answered. Agents' replies leave by the outgoing mail server with the threading headers, so the customer's mail client threads them.",
    ),
    ("mailboxes.none", "还没有收件邮箱。", "No mailboxes yet."),
    ("mailboxes.name", "名称", "Name"),
    ("mailboxes.name_placeholder", "客服信箱", "Support inbox"),
    ("mailboxes.server", "服务器", "Server"),
    ("mailboxes.host", "IMAP 服务器", "IMAP server"),
    ("mailboxes.port", "端口", "Port"),
    (
        "mailboxes.port_invalid",
        "端口应为 1 至 65535 的数字。",
        "The port is a number from 1 to 65535.",
    ),
    ("mailboxes.tls", "TLS 加密（IMAPS）", "TLS (IMAPS)"),
    ("mailboxes.security", "连接安全", "Connection"),
    ("mailboxes.plain", "（未加密）", "(not encrypted)"),
    (
        "mailboxes.tls_hint",
        "仅当服务器在本机或可信内网时才关闭。",
        "Turn off only for a server on this machine or a trusted network.",
    ),
    ("mailboxes.username", "用户名", "User name"),
    ("mailboxes.password", "密码", "Password"),
    (
        "mailboxes.password_hint",
        "密码加密保存，之后不再显示。",
        "The password is stored sealed and never shown again.",
    ),
    ("mailboxes.folder", "文件夹", "Folder"),
    ("mailboxes.state", "状态", "State"),
    ("mailboxes.on", "读取中", "Polling"),
    ("mailboxes.off", "已停用", "Off"),
    ("mailboxes.last_poll", "上次读取", "Last poll"),
    ("mailboxes.never", "尚未读取", "Not yet"),
    ("mailboxes.last_error", "上次错误", "Last error"),
    ("mailboxes.taken", "已收邮件", "Mails taken"),
    ("mailboxes.actions", "操作", "Actions"),
    ("mailboxes.enable", "启用", "Turn on"),
    ("mailboxes.disable", "停用", "Turn off"),
    ("mailboxes.poll", "立即读取", "Poll now"),
    ("mailboxes.add", "添加收件邮箱", "Add a mailbox"),
    ("mailboxes.flash.created", "收件邮箱已添加", "Mailbox added"),
    ("mailboxes.flash.enabled", "已启用", "Turned on"),
    ("mailboxes.flash.disabled", "已停用", "Turned off"),
    (
        "mailboxes.flash.polling",
        "已安排立即读取，几秒后刷新本页查看结果。",
        "A poll is queued; reload this page in a few seconds to see it.",
    ),
    (
        "mailboxes.flash.pending",
        "这个邮箱已有一次读取在排队。",
        "A poll of this mailbox is already queued.",
    ),
];
