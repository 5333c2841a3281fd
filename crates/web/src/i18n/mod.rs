//! Interface text in Simplified Chinese (the default) and English. One table holds both
//! languages side by side, so a key cannot exist in one and be missing in the other. The
//! table is assembled from the shared entries here and each capability's slice.

mod errors;

pub use errors::*;

use std::collections::HashMap;
use std::sync::OnceLock;

/// An interface language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    ZhCn,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "zh-CN" | "zh" | "zh-cn" => Some(Lang::ZhCn),
            "en" | "en-US" | "en-GB" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the switch in the header.
    pub fn other(self) -> Lang {
        match self {
            Lang::ZhCn => Lang::En,
            Lang::En => Lang::ZhCn,
        }
    }
}

/// One entry of the text table: key, Simplified Chinese, English.
pub(crate) type Entry = (&'static str, &'static str, &'static str);

/// The text every page shares (navigation, sign-in, field labels and errors, roles, states,
/// channels). Each capability keeps its own slice beside its pages (`ui/<capability>/text.rs`,
/// listed in [`crate::ui::TEXTS`]); keys stay prefixed by capability so they cannot collide.
const TEXT: &[Entry] = &[
    (
        "app.tagline",
        "旅游客服运营平台",
        "Customer-service operations for travel",
    ),
    ("lang.switch", "English", "中文"),
    ("login.title", "登录", "Sign in"),
    ("login.username", "用户名", "Username"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    (
        "login.failed",
        "用户名或密码错误。",
        "Wrong username or password.",
    ),
    (
        "login.throttled",
        "尝试次数过多，请稍后再试。",
        "Too many attempts. Please try again later.",
    ),
    (
        "login.required",
        "请输入用户名和密码。",
        "Enter your username and password.",
    ),
    (
        "login.unavailable",
        "服务暂时不可用，请稍后再试。",
        "The service is temporarily unavailable.",
    ),
    ("logout", "退出登录", "Sign out"),
    ("skip", "跳到主要内容", "Skip to main content"),
    ("nav.main", "主导航", "Main navigation"),
    ("nav.home", "工作台", "Dashboard"),
    ("nav.desk", "工单与投诉", "Tickets & complaints"),
    ("nav.customers", "客户", "Customers"),
    ("nav.bookings", "产品与预订", "Products & bookings"),
    ("nav.emergency", "应急管理", "Emergencies"),
    ("nav.reports", "周报与月报", "Weekly & monthly reports"),
    ("nav.admin", "系统管理", "Administration"),
    ("nav.users", "员工账号", "Staff"),
    ("nav.departments", "部门与小组", "Departments"),
    ("nav.audit", "审计日志", "Audit log"),
    ("channel.phone", "电话", "Phone"),
    ("channel.sms", "短信", "SMS"),
    ("channel.email", "邮件", "Email"),
    ("channel.wechat", "微信", "WeChat"),
    ("field.username", "用户名", "Username"),
    ("field.display_name", "姓名", "Name"),
    ("field.email", "邮箱", "Email"),
    ("field.password", "密码", "Password"),
    (
        "field.password_new",
        "新密码（留空则不修改）",
        "New password (leave empty to keep)",
    ),
    ("field.department", "部门", "Department"),
    ("field.roles", "角色", "Roles"),
    ("field.locale", "界面语言", "Language"),
    ("field.status", "状态", "Status"),
    ("field.disabled", "停用此账号", "Disable this account"),
    ("field.code", "代码", "Code"),
    ("field.name_zh", "中文名称", "Chinese name"),
    ("field.name_en", "英文名称", "English name"),
    ("field.members", "人数", "Members"),
    ("field.created", "创建时间", "Created"),
    ("field.none", "（无）", "(none)"),
    ("status.active", "在职", "Active"),
    ("status.disabled", "已停用", "Disabled"),
    ("role.agent", "客服专员", "Agent"),
    ("role.handler", "投诉处理", "Handler"),
    ("role.follow_up", "回访专员", "Follow-up"),
    ("role.supervisor", "主管/监督", "Supervisor"),
    ("role.admin", "管理员", "Admin"),
    // Permissions, as a refusal names them: what it allows and who holds it.
    ("perm.view_desk", "查看工单", "view tickets"),
    (
        "perm.work_tickets",
        "受理与处理工单（客服专员、投诉处理小组、主管）",
        "work tickets (agents, handlers, supervisors)",
    ),
    (
        "perm.handle_complaints",
        "处理投诉（投诉处理小组、主管）",
        "handle complaints (handling groups, supervisors)",
    ),
    (
        "perm.perform_follow_up",
        "执行回访（回访专员）",
        "perform follow-ups (follow-up team)",
    ),
    (
        "perm.schedule_follow_ups",
        "安排回访（客服专员、回访专员、主管）",
        "schedule follow-ups (agents, follow-up team, supervisors)",
    ),
    (
        "perm.approve_compensation",
        "主管审批",
        "a supervisor's approval",
    ),
    ("perm.view_customers", "查看客户", "view customers"),
    ("perm.edit_customers", "编辑客户", "edit customers"),
    (
        "perm.view_reports",
        "查看报表（主管、管理员）",
        "view reports (supervisors, administrators)",
    ),
    (
        "perm.manage_desk",
        "管理工单设置（主管、管理员）",
        "manage the desk (supervisors, administrators)",
    ),
    ("perm.view_bookings", "查看预订与房态", "view bookings and availability"),
    (
        "perm.make_bookings",
        "办理预订（客服专员、主管）",
        "make bookings (agents, supervisors)",
    ),
    (
        "perm.manage_catalog",
        "管理产品与房源（主管、管理员）",
        "manage the catalog (supervisors, administrators)",
    ),
    ("perm.view_incidents", "查看突发事件", "see incidents"),
    (
        "perm.respond_to_incidents",
        "处理突发事件：登记平安状态、电话结果、清单",
        "work incidents: answers, calls, the checklist",
    ),
    (
        "perm.manage_incidents",
        "指挥突发事件：宣布、群发、分工、上报、关闭（主管）",
        "run incidents: declare, broadcast, assign, report, close (supervisors)",
    ),
    (
        "perm.assess_staff",
        "主持员工考核：开启和关闭考核周期、主管评分、登记培训和奖惩（主管）",
        "run staff assessment: open and close cycles, rate as supervisor, record trainings, rewards and corrections (supervisors)",
    ),
    (
        "perm.rate_colleagues",
        "参与考核：自评和同事互评",
        "take part in assessment: self and peer ratings",
    ),
    // Role queues: what waits for a person because of their role (`ui::queues`).
    ("queue.title", "待我处理", "Waiting for me"),
    ("queue.to_approve", "待审批", "To approve"),
    (
        "queue.to_approve.hint",
        "补偿金额超出审批门槛，等待主管审批",
        "Compensation above the threshold awaiting a supervisor",
    ),
    ("queue.to_follow_up", "待回访", "To follow up"),
    (
        "queue.to_follow_up.hint",
        "分派给我的回访任务",
        "Follow-up visits assigned to me",
    ),
    ("queue.to_contact", "待联系客户", "To call back"),
    (
        "queue.to_contact.hint",
        "已分派、尚未联系客户的投诉（1 小时内）",
        "Assigned complaints whose customer is not yet contacted (within 1 hour)",
    ),
    ("queue.to_schedule", "待安排回访", "To schedule"),
    (
        "queue.to_schedule.hint",
        "处理结果已反馈、尚未安排回访的投诉",
        "Complaints with the result reported and no follow-up scheduled",
    ),
    ("queue.none", "暂无待办。", "Nothing waiting."),
    ("nav.calendars", "工作日历", "Calendars"),
    ("nav.sla_policies", "时效规则", "SLA policies"),
    ("nav.sla_compliance", "时效达成", "SLA compliance"),
    ("field.year", "年份", "Year"),
    ("field.text", "内容", "Text"),
    ("field.kind", "计时方式", "Counting"),
    ("field.amount", "时限", "Limit"),
    ("field.earliest", "最早", "Earliest"),
    ("field.calendar", "日历", "Calendar"),
    ("field.warn_at_percent", "预警比例", "Warning share"),
    ("field.pause_when", "暂停条件", "Pause while"),
    ("field.from", "开始", "From"),
    ("field.to", "结束", "To"),
    (
        "form.errors",
        "请修正以下问题：",
        "Please correct the following:",
    ),
    ("flash.saved", "已保存。", "Saved."),
    ("error.not_found", "页面不存在", "Page not found"),
    (
        "error.forbidden",
        "您没有权限访问此页面。",
        "You do not have permission to open this page.",
    ),
    ("error.back", "返回工作台", "Back to the dashboard"),
    // A use case's refusal, as a page or a form says it (`app_error`): by its stable code,
    // else by its kind. Never the use case's English sentence in the Chinese interface.
    ("error.refused", "无法完成此操作", "This could not be done"),
    (
        "error.step_forbidden",
        "您的角色不能执行此操作。",
        "Your role does not allow this.",
    ),
    (
        "error.conflict",
        "操作与当前状态冲突，请刷新页面后重试。",
        "This conflicts with the current state; reload the page and try again.",
    ),
    (
        "error.invalid_transition",
        "当前状态下不能执行此步骤。",
        "This step is not possible in the current state.",
    ),
    ("error.allowed_steps", "现在可以：{steps}", "Possible now: {steps}"),
    (
        "error.throttled",
        "尝试次数过多，请 {n} 秒后再试。",
        "Too many attempts; try again in {n} s.",
    ),
    (
        "error.unavailable",
        "服务暂时不可用，请稍后再试。",
        "The service is unavailable for a moment; try again shortly.",
    ),
    (
        "error.unauthenticated",
        "登录已失效，请重新登录。",
        "Your sign-in has expired; please sign in again.",
    ),
    (
        "error.internal",
        "系统出错了，请稍后再试；如果一再出现，请联系管理员。",
        "Something went wrong; try again, and tell an administrator if it happens again.",
    ),
    (
        "error.invalid",
        "输入有误，请检查后重试。",
        "Some input is not valid; check it and try again.",
    ),
    ("error.code.ticket_closed", "工单已关闭，请先重新打开。", "The ticket is closed; reopen it first."),
    (
        "error.code.sold_out",
        "已售罄：所选房间或团位已被订走，请选择其他房间或日期。",
        "Sold out: the room or seats were just taken; choose another room or date.",
    ),
    (
        "error.code.incident.changed",
        "该事件刚被他人修改，请刷新后重试。",
        "Someone changed the incident meanwhile; reload it and try again.",
    ),
    (
        "error.code.incident.closed",
        "该事件已关闭，不能再修改或群发。",
        "The incident is closed; it can no longer be changed or broadcast to.",
    ),
    (
        "error.code.incident.already_reported",
        "首报已登记过。",
        "The first report is recorded already.",
    ),
    (
        "error.code.booking.changed",
        "预订刚被他人修改，请刷新后重试。",
        "Someone changed the booking meanwhile; reload it and try again.",
    ),
    (
        "error.code.concurrent_update",
        "工单刚被他人修改，请刷新后重试。",
        "Someone else changed the ticket; reload and try again.",
    ),
    (
        "error.code.separation_of_duties",
        "回访须由不属于处理小组、且未处理过该投诉的人员完成。",
        "The follow-up must be done by someone outside the handling group who did not handle the complaint.",
    ),
    (
        "error.code.approval_required",
        "赔偿金额超过审批额度，需主管审批后才能继续。",
        "The compensation is above the approval threshold and awaits a supervisor's approval.",
    ),
    ("error.code.nothing_to_approve", "没有待审批的赔偿。", "No compensation awaits approval."),
    ("error.code.customer_erased", "该客户的个人信息已被删除。", "This customer's personal data was erased."),
    ("error.code.customer_merged", "该客户已合并到另一条记录。", "This customer was merged into another record."),
    (
        "error.code.calendar_changed",
        "日历刚被他人修改，请刷新后重试。",
        "The calendar was changed meanwhile; reload and try again.",
    ),
    (
        "error.code.calendar_in_use",
        "有 SLA 策略在使用该日历，请先修改策略。",
        "An SLA policy counts time in this calendar; change the policy first.",
    ),
    ("error.code.holiday_year_exists", "该年度的节假日安排已存在。", "That year's holiday arrangement exists already."),
    ("error.code.not_an_inquiry", "只有咨询可以转为投诉。", "Only an inquiry can become a complaint."),
    ("error.code.job_not_dead", "只有已失败的任务可以重新执行。", "Only a dead job can be retried."),
    ("error.code.not_dead", "只有投递失败的消息可以重新发送。", "Only a dead message can be retried."),
    ("error.code.sla_clock_busy", "计时正在变化，请重试。", "The clock kept changing; try again."),
    ("error.code.duplicate", "已有相同的记录。", "Such a record exists already."),
    (
        "error.code.broken_reference",
        "引用的记录不存在或仍在使用。",
        "A referenced record does not exist or is still in use.",
    ),
    ("error.code.username_taken", "该用户名已被使用。", "That username is taken."),
    ("error.code.department_code_taken", "已有部门使用这个代码。", "Another department already has this code."),
    (
        "error.code.idempotency_in_progress",
        "相同的请求正在处理中，请稍候。",
        "The same request is still being processed.",
    ),
    ("channel.web_form", "网页表单", "Web form"),
    ("channel.chat", "在线客服", "Chat"),
    ("channel.on_site", "现场", "On site"),
    ("channel.social", "社交媒体/微信", "Social / WeChat"),
    ("state.received", "已受理", "Received"),
    ("state.triaged", "已评估", "Triaged"),
    ("state.assigned", "已分派", "Assigned"),
    ("state.contacted", "已联系客户", "Customer contacted"),
    ("state.investigating", "调查中", "Investigating"),
    ("state.solution_proposed", "已提出方案", "Solution proposed"),
    ("state.resolved", "已解决", "Resolved"),
    ("state.result_reported", "结果已反馈", "Result reported"),
    ("state.follow_up_scheduled", "待回访", "Follow-up scheduled"),
    ("state.followed_up", "已回访", "Followed up"),
    ("state.closed", "已结案", "Closed"),
    ("state.reopened", "重新处理", "Reopened"),
    ("nav.notify", "消息通知", "Messages"),
    ("nav.deliveries", "发送记录", "Delivery history"),
    ("nav.templates", "消息模板", "Templates"),
    ("field.channel", "渠道", "Channel"),
    ("field.recipient", "收件人", "Recipient"),
    ("field.subject", "标题", "Subject"),
    ("field.body", "正文", "Body"),
    (
        "field.body_html",
        "HTML 正文（可选）",
        "HTML body (optional)",
    ),
    ("field.state", "状态", "State"),
    ("field.attempts", "尝试次数", "Attempts"),
    ("field.template", "模板", "Template"),
    ("field.related", "关联", "Related"),
    ("field.sent_at", "送达时间", "Sent"),
    ("field.next_attempt", "下次尝试", "Next attempt"),
    ("field.last_error", "最近错误", "Last error"),
    ("field.attachment", "附件", "Attachment"),
    ("field.outcome", "结果", "Outcome"),
    ("field.finished", "时间", "Time"),
    ("field.worker", "执行节点", "Worker"),
    ("field.detail", "详情", "Detail"),
    ("field.event", "事件", "Event"),
    ("field.language", "语言", "Language"),
    ("field.version", "版本", "Version"),
    ("field.description", "说明", "Description"),
    ("channel.in_app", "站内通知", "In-app"),
    ("channel.webhook", "Webhook", "Webhook"),
    ("state.queued", "排队中", "Queued"),
    ("state.sending", "发送中", "Sending"),
    ("state.retrying", "等待重试", "Retrying"),
    ("state.sent", "已送达", "Sent"),
    ("state.dead", "投递失败", "Dead"),
    // The desk: queues with SLA badges, replies and notes, routing rules, reply templates,
    // the merged timeline and the supervisor board.
    // Punctuation between a greeting or label and what follows, per language.
    ("punct.comma", "，", ", "),
    ("nav.desk_board", "投诉看板", "Complaint board"),
    ("nav.desk_rules", "分派规则", "Routing rules"),
    ("nav.desk_replies", "回复模板", "Reply templates"),
];

/// Every entry: the shared ones above, the field errors' (`errors.rs`) and each capability's
/// slice.
fn entries() -> impl Iterator<Item = &'static Entry> {
    TEXT.iter()
        .chain(FIELD_ERROR_TEXT.iter())
        .chain(crate::ui::TEXTS.iter().flat_map(|slice| slice.iter()))
}

fn table() -> &'static HashMap<&'static str, (&'static str, &'static str)> {
    static TABLE: OnceLock<HashMap<&'static str, (&'static str, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| entries().map(|(k, zh, en)| (*k, (*zh, *en))).collect())
}

/// A translator for one language, handed to templates as `t`.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    /// The text for `key`; an unknown key shows itself (and a test catches it).
    pub fn s(&self, key: &str) -> &'static str {
        match table().get(key) {
            Some((zh, en)) => match self.0 {
                Lang::ZhCn => zh,
                Lang::En => en,
            },
            None => {
                tracing::warn!(key, "missing interface text");
                "??"
            }
        }
    }

    /// Whether `key` exists (used by tests that scan templates).
    pub fn has(key: &str) -> bool {
        table().contains_key(key)
    }

    pub fn lang(&self) -> &'static str {
        self.0.code()
    }

    /// `label: value` with the language's own punctuation (`标签：值`, `Label: value`).
    pub fn pair(&self, label: &str, value: &str) -> String {
        match self.0 {
            Lang::ZhCn => format!("{label}：{value}"),
            Lang::En => format!("{label}: {value}"),
        }
    }

    /// `main (note)` with the language's own brackets (`主（注）`, `Main (note)`).
    pub fn aside(&self, main: &str, note: &str) -> String {
        match self.0 {
            Lang::ZhCn => format!("{main}（{note}）"),
            Lang::En => format!("{main} ({note})"),
        }
    }

    /// Items of a list joined as the language writes them (`甲、乙`, `a, b`).
    pub fn list(&self, items: &[&str]) -> String {
        items.join(match self.0 {
            Lang::ZhCn => "、",
            Lang::En => ", ",
        })
    }
}

/// The label of an audit action code (`audit.act.<code>`); a code no release knows (an old
/// entry) shows as itself.
pub fn audit_action_label(t: Tr, code: &str) -> String {
    let key = format!("audit.act.{code}");
    if Tr::has(&key) {
        t.s(&key).to_string()
    } else {
        code.to_string()
    }
}

/// The label of a group of audit actions (`customer` for `customer.*`).
pub fn audit_group_label(t: Tr, group: &str) -> &'static str {
    t.s(&format!("audit.group.{group}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_audit_action_and_group_has_labels() {
        use tripdesk_domain::audit::AuditAction;
        let mut labels = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            let key = format!("audit.act.{}", a.code());
            assert!(Tr::has(&key), "{} has no label", a.code());
            let zh = Tr(Lang::ZhCn).s(&key);
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{}: the Chinese label {zh:?} has no Chinese",
                a.code()
            );
            assert!(labels.insert(zh), "two actions are labelled {zh}");
            assert_eq!(
                audit_action_label(Tr(Lang::En), a.code()),
                Tr(Lang::En).s(&key)
            );
        }
        for g in AuditAction::groups() {
            assert!(
                Tr::has(&format!("audit.group.{g}")),
                "group {g} has no label"
            );
        }
        // Labels for actions that do not exist would be dead text.
        for (k, _, _) in TEXT {
            if let Some(code) = k.strip_prefix("audit.act.") {
                assert!(
                    AuditAction::from_code(code).is_some(),
                    "{k} labels no action"
                );
            }
        }
        assert_eq!(
            audit_action_label(Tr(Lang::ZhCn), "gone.action"),
            "gone.action"
        );
    }

    #[test]
    fn field_errors_speak_the_interface_language() {
        use tripdesk_app::FieldError;
        let zh = Tr(Lang::ZhCn);
        let e = FieldError::new("subject", "required", "subject is required");
        assert_eq!(field_error(zh, &e), "请填写标题。");
        assert_eq!(field_error(Tr(Lang::En), &e), "subject is required");
        let e = FieldError::new("assignee_id", "not_follow_up", "not a follow-up agent");
        assert_eq!(field_error(zh, &e), "处理人：此人不是回访人员。");
        // A code without a translation keeps the use case's sentence; an unknown field its name.
        let e = FieldError::new("subject", "odd_code", "subject is odd");
        assert_eq!(field_error(zh, &e), "subject is odd");
        let e = FieldError::new("mystery", "required", "mystery is required");
        assert_eq!(field_error(zh, &e), "请填写mystery。");
    }

    #[test]
    fn keys_are_unique_and_filled() {
        let mut seen = std::collections::HashSet::new();
        for (k, zh, en) in entries() {
            assert!(seen.insert(k), "duplicate key {k}");
            assert!(!zh.is_empty() && !en.is_empty(), "{k} is empty");
        }
    }

    #[test]
    fn every_key_used_in_templates_exists() {
        // Templates sit in a folder per capability under `templates/`.
        let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates")];
        let mut pages = 0;
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                pages += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                for part in text.split("t.s(\"").skip(1) {
                    let key = &part[..part.find('"').unwrap()];
                    assert!(Tr::has(key), "{} uses unknown key {key}", path.display());
                }
            }
        }
        assert!(pages > 30, "only {pages} templates found");
    }
}
