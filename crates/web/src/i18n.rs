//! Interface text in Simplified Chinese (the default) and English. One table holds both
//! languages side by side, so a key cannot exist in one and be missing in the other.

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

const TEXT: &[(&str, &str, &str)] = &[
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
    ("nav.reports", "报表与考核", "Reports & assessment"),
    ("nav.admin", "系统管理", "Administration"),
    ("nav.users", "员工账号", "Staff"),
    ("nav.departments", "部门与小组", "Departments"),
    ("nav.soon", "即将上线", "Coming soon"),
    ("nav.audit", "审计日志", "Audit log"),
    ("customers.title", "客户", "Customers"),
    ("customers.new", "新建客户", "New customer"),
    ("customers.search", "手机号、身份证号、邮箱或姓名", "Phone, ID number, email or name"),
    ("customers.find", "查找", "Find"),
    (
        "customers.search_hint",
        "手机号和证件号按加密索引精确查找，任何写法均可；姓名按包含查找。",
        "Phone and ID numbers are matched exactly through an encrypted index, in any spelling; names by substring.",
    ),
    ("customers.count", "共 {n} 位客户", "{n} customers"),
    ("customers.none", "没有找到客户。", "No customers found."),
    ("customers.export_csv", "导出 CSV", "Export CSV"),
    ("customers.export_xlsx", "导出 Excel", "Export Excel"),
    ("customers.import", "导入客户", "Import customers"),
    ("customers.back", "返回客户列表", "Back to customers"),
    ("customers.conflict", "无法执行", "Not possible"),
    ("customer.name", "姓名", "Name"),
    ("customer.tags", "标签", "Tags"),
    ("customer.notes", "备注", "Notes"),
    ("customer.birth_date", "出生日期", "Birth date"),
    (
        "customer.birth_date_hint",
        "留空时取自身份证号。",
        "Taken from the resident ID when left empty.",
    ),
    ("customer.diet", "饮食需求", "Diet"),
    ("customer.allergies", "过敏史", "Allergies"),
    ("customer.accessibility", "无障碍需求", "Accessibility"),
    ("customer.preferred_language", "首选语言", "Preferred language"),
    ("customer.preferred_channel", "首选联系方式", "Preferred channel"),
    ("customer.source_channel", "来源渠道", "Source"),
    (
        "customer.marketing_consent_phone",
        "客户同意接收营销信息（电话口头同意，文本版本 marketing-2026-01）",
        "The customer agrees to marketing (given by phone, text version marketing-2026-01)",
    ),
    (
        "customer.sealed_note",
        "手机号、邮箱、微信、证件号、出生日期和特殊需求加密保存，列表与详情中脱敏显示。",
        "Phones, emails, WeChat ids, ID numbers, birth date and special needs are stored encrypted and shown masked.",
    ),
    ("customer.profile", "客户档案", "Profile"),
    ("customer.kind", "项目", "Item"),
    ("customer.value", "内容", "Value"),
    ("customer.primary", "主要", "primary"),
    ("customer.reveal", "查看明文", "Reveal"),
    ("customer.reason", "查看原因（将记入审计日志）", "Reason (recorded in the audit log)"),
    ("customer.hidden", "已加密 · 已记录", "Encrypted · recorded"),
    (
        "customer.masked_note",
        "敏感信息已脱敏。查看明文需要主管权限，并会记入审计日志。",
        "Sensitive values are masked. Seeing them needs a supervisor and is recorded in the audit log.",
    ),
    (
        "customer.revealed_notice",
        "已显示明文，本次查看已记入审计日志。明文只显示在本页，刷新后恢复脱敏。",
        "Shown in plaintext and recorded in the audit log. It appears on this page only; reload to mask it again.",
    ),
    ("customer.contact_history", "联系记录", "Contact history"),
    (
        "customer.contact_history_soon",
        "联系记录将在工单、预订模块上线后显示在这里（尚未实现）。",
        "Tickets, bookings and calls will be listed here once those modules exist (not built yet).",
    ),
    ("customer.consents", "授权记录", "Consents"),
    ("customer.no_consents", "尚无授权记录。", "No consent recorded."),
    ("customer.purpose", "用途", "Purpose"),
    ("customer.granted", "是否同意", "Granted"),
    ("customer.channel", "渠道", "Channel"),
    ("customer.text_version", "授权文本版本", "Text version"),
    ("customer.recorded", "记录时间", "Recorded"),
    ("customer.consent_yes", "同意", "Yes"),
    ("customer.consent_no", "不同意", "No"),
    ("customer.marketing", "营销授权", "Marketing"),
    ("customer.record_consent", "记录授权", "Record consent"),
    ("customer.duplicates", "疑似重复客户", "Possible duplicates"),
    ("customer.no_duplicates", "未发现与此客户共用手机号、邮箱或证件的档案。", "No other record shares a phone, email or document with this one."),
    ("customer.shared", "相同项", "Shared"),
    ("customer.merge", "合并", "Merge"),
    ("customer.merge_here", "合并到本档案", "Merge into this record"),
    ("customer.merged_into", "此档案已合并到：", "This record was merged into:"),
    ("customer.status_erased", "已删除个人信息", "Personal data erased"),
    ("customer.status_merged", "已合并", "Merged"),
    ("customer.pipl", "个人信息权利（PIPL）", "Personal-data rights (PIPL)"),
    ("customer.pipl_export", "导出客户数据副本（JSON）", "Export a copy of the data (JSON)"),
    ("customer.erase_reason", "删除原因 / 申请编号", "Reason / request reference"),
    ("customer.erase_confirm", "确认删除此客户的个人信息（不可恢复）", "Erase this customer's personal data (cannot be undone)"),
    ("customer.erase_confirm_needed", "请勾选确认后再删除。", "Tick the confirmation to erase."),
    ("customer.erase", "删除个人信息", "Erase personal data"),
    ("customer.audit", "此档案的操作记录", "What was done with this record"),
    ("customer.audit_all", "在审计日志中查看全部", "See all in the audit log"),
    ("ident.phone", "手机号", "Phone"),
    ("ident.email", "邮箱", "Email"),
    ("ident.wechat", "微信号", "WeChat"),
    ("ident.resident_id", "身份证号", "Resident ID"),
    ("ident.passport", "护照", "Passport"),
    ("ident.hk_macao_permit", "港澳通行证", "HK/Macao permit"),
    ("ident.taiwan_permit", "台湾居民来往大陆通行证", "Taiwan permit"),
    ("channel.phone", "电话", "Phone"),
    ("channel.sms", "短信", "SMS"),
    ("channel.email", "邮件", "Email"),
    ("channel.wechat", "微信", "WeChat"),
    (
        "import.hint",
        "粘贴 CSV（第一行为表头）。先预检查：列出每一行被拒绝的原因；只有全部通过才会导入，绝不会只导入一部分。Excel 文件请通过 API 上传。",
        "Paste CSV (first row: headers). Check first: every rejected row is listed with why; rows are imported only when all pass, never half. Upload Excel files through the API.",
    ),
    ("import.columns", "可用列：", "Columns:"),
    ("import.paste", "CSV 内容", "CSV content"),
    ("import.dry_run", "预检查", "Check only"),
    ("import.commit", "导入", "Import"),
    ("import.done", "已导入", "Imported"),
    ("import.ready", "检查通过，可以导入", "All rows valid; ready to import"),
    ("import.rejected", "有被拒绝的行，未导入任何数据", "Rows rejected; nothing was imported"),
    ("import.rows", "行数", "Rows"),
    ("import.valid", "有效", "Valid"),
    ("import.created", "已创建", "Created"),
    ("import.row", "行", "Row"),
    ("import.column", "列", "Column"),
    ("import.why", "原因", "Why"),
    ("import.duplicates", "与已有客户或前面行重复的行：", "Rows sharing identifiers with existing customers or earlier rows:"),
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
    ("home.welcome", "欢迎回来", "Welcome back"),
    ("home.staff", "在职员工", "Active staff"),
    ("home.departments", "部门与小组", "Departments & groups"),
    ("home.modules", "业务模块", "Modules"),
    (
        "home.module.desk",
        "受理咨询与投诉，分级处理、限时回复与回访。",
        "Inquiries and complaints: triage, timed replies, follow-up visits.",
    ),
    (
        "home.module.customers",
        "客户档案加密保存，敏感信息脱敏显示。",
        "Customer records encrypted at rest, sensitive data masked.",
    ),
    (
        "home.module.bookings",
        "线路与房态，杜绝超售，一小时内确认。",
        "Tours and room status, no overbooking, confirmation within an hour.",
    ),
    (
        "home.module.emergency",
        "突发事件中通知每一位受影响的游客。",
        "Reach every affected traveler in an emergency.",
    ),
    (
        "home.module.reports",
        "服务承诺达成率、满意度与员工考核。",
        "Commitment compliance, satisfaction and staff assessment.",
    ),
    (
        "home.shortcuts",
        "快捷键：g 然后 h 工作台，g 然后 u 员工，g 然后 d 部门，/ 搜索。",
        "Shortcuts: g then h dashboard, g then u staff, g then d departments, / search.",
    ),
    ("users.title", "员工账号", "Staff accounts"),
    ("users.new", "新建员工", "New staff account"),
    (
        "users.search",
        "搜索姓名或用户名",
        "Search name or username",
    ),
    ("users.all_departments", "全部部门", "All departments"),
    ("users.all_roles", "全部角色", "All roles"),
    ("users.include_disabled", "包含已停用", "Include disabled"),
    ("users.filter", "筛选", "Filter"),
    ("users.count", "共 {n} 人", "{n} people"),
    (
        "users.none",
        "没有符合条件的员工。",
        "No staff match this filter.",
    ),
    ("users.edit", "编辑员工", "Edit staff account"),
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
    ("action.save", "保存", "Save"),
    ("action.create", "创建", "Create"),
    ("action.cancel", "取消", "Cancel"),
    ("action.edit", "编辑", "Edit"),
    ("action.back", "返回", "Back"),
    ("nav.calendars", "工作日历", "Calendars"),
    ("nav.sla_policies", "时效规则", "SLA policies"),
    ("nav.sla_compliance", "时效达成", "SLA compliance"),
    ("weekday.mon", "周一", "Mon"),
    ("weekday.tue", "周二", "Tue"),
    ("weekday.wed", "周三", "Wed"),
    ("weekday.thu", "周四", "Thu"),
    ("weekday.fri", "周五", "Fri"),
    ("weekday.sat", "周六", "Sat"),
    ("weekday.sun", "周日", "Sun"),
    ("cal.title", "工作日历", "Working-day calendars"),
    (
        "cal.intro",
        "工作日按中国规定计算：周末和法定节假日休息，调休上班日照常工作。",
        "Working days follow China's rules: weekends and public holidays off, make-up working days worked.",
    ),
    ("cal.name", "名称", "Name"),
    ("cal.mode", "计时方式", "Mode"),
    ("cal.mode.office", "办公时间（节假日休息）", "Office hours (holidays off)"),
    ("cal.mode.always_open", "全天候（7×24）", "Always open (24×7)"),
    ("cal.zone", "时区", "Time zone"),
    ("cal.hours", "工作时间", "Working hours"),
    ("cal.years", "节假日数据", "Holiday data"),
    ("cal.festival", "节日", "Festival"),
    ("cal.off", "放假", "Days off"),
    ("cal.work", "调休上班", "Make-up working days"),
    ("cal.no_years", "尚无节假日数据，请导入。", "No holiday data yet; import a year."),
    ("cal.delete_year", "删除年份", "Delete year"),
    ("cal.imported", "已导入：", "Imported:"),
    (
        "cal.always_open",
        "全天候日历：节假日照常计时，无需节假日数据。",
        "Always open: holidays count as working time; no holiday data needed.",
    ),
    ("cal.import", "导入节假日安排", "Import a holiday arrangement"),
    (
        "cal.import.hint",
        "粘贴国务院办公厅节假日安排通知全文，或 TOML 数据文件内容。",
        "Paste the State Council's holiday notice, or the text of a TOML data file.",
    ),
    ("cal.import.format", "格式", "Format"),
    ("cal.import.notice", "国务院通知原文", "State Council notice text"),
    ("cal.import.toml", "TOML 数据文件", "TOML data file"),
    ("cal.import.shipped", "内置数据（2024–2026）", "Shipped data (2024–2026)"),
    ("cal.import.year", "年份（通知）", "Year (notice)"),
    ("cal.import.text", "内容", "Text"),
    ("cal.import.replace", "覆盖已有年份", "Replace years that exist"),
    ("cal.import.submit", "导入", "Import"),
    (
        "cal.import.year_required",
        "导入通知需要填写年份",
        "a notice import needs the year",
    ),
    ("field.year", "年份", "Year"),
    ("field.text", "内容", "Text"),
    ("sla.policies.title", "时效规则", "SLA policies"),
    (
        "sla.policies.intro",
        "每项服务承诺都是一个计时目标：到达预警比例时提醒，超时即记录违约。",
        "Every service commitment is a timed target: a warning at its share of the time, a breach when it runs out.",
    ),
    ("sla.target", "目标", "Target"),
    ("sla.figure", "时限", "Limit"),
    ("sla.calendar", "日历", "Calendar"),
    ("sla.warn", "预警", "Warning"),
    ("sla.notify_warning", "预警通知", "Told on warning"),
    ("sla.notify_breach", "超时通知", "Told on breach"),
    ("sla.enabled", "启用", "Enabled"),
    ("sla.disabled", "停用", "Disabled"),
    ("sla.unit.minutes", "分钟", "min"),
    ("sla.unit.working_minutes", "工作分钟", "working min"),
    ("sla.unit.working_days", "个工作日", "working days"),
    ("sla.policy.edit", "编辑时效规则", "Edit SLA policy"),
    ("sla.kind", "计时方式", "Counting"),
    ("sla.kind.calendar_hours", "自然时间", "Wall-clock time"),
    ("sla.kind.working_hours", "工作时间", "Working hours"),
    ("sla.kind.working_days", "工作日", "Working days"),
    ("sla.amount", "时限", "Limit"),
    (
        "sla.amount.hint",
        "按分钟计（工作日方式按天计）",
        "In minutes (in days for working days)",
    ),
    ("sla.earliest", "最早（窗口开始）", "Earliest (window opens)"),
    ("sla.pause_when", "暂停条件", "Pause while"),
    ("sla.compliance.title", "时效达成情况", "SLA compliance"),
    ("sla.from", "从", "From"),
    ("sla.to", "至", "To"),
    ("sla.by", "分组", "Break down by"),
    ("sla.by.none", "不分组", "No breakdown"),
    ("sla.by.channel", "渠道", "Channel"),
    ("sla.by.department", "部门", "Department"),
    ("sla.by.agent", "员工", "Agent"),
    ("sla.group", "分组", "Group"),
    ("sla.group.none", "（未记录）", "(not recorded)"),
    ("sla.met", "达成", "Met"),
    ("sla.breached", "超时", "Breached"),
    ("sla.running", "进行中", "Running"),
    ("sla.share", "达成率", "Share met"),
    ("sla.median", "中位用时", "Median"),
    ("sla.p90", "90% 用时", "90th percentile"),
    (
        "sla.compliance.hint",
        "统计所选期间内开始计时的记录；用时不含暂停时间，工作日目标按工作时间计。",
        "Covers clocks started in the period; time excludes pauses and counts working time for working-day targets.",
    ),
    ("field.kind", "计时方式", "Counting"),
    ("field.amount", "时限", "Limit"),
    ("field.earliest", "最早", "Earliest"),
    ("field.calendar", "日历", "Calendar"),
    ("field.warn_at_percent", "预警比例", "Warning share"),
    ("field.pause_when", "暂停条件", "Pause while"),
    ("field.from", "开始", "From"),
    ("field.to", "结束", "To"),
    ("depts.title", "部门与小组", "Departments & groups"),
    ("depts.new", "新建部门", "New department"),
    ("depts.edit", "编辑部门", "Edit department"),
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
    ("desk.title", "工单", "Tickets"),
    ("desk.new", "新建工单", "New ticket"),
    ("desk.queue.open", "全部未结", "All open"),
    ("desk.queue.mine", "我的", "Mine"),
    ("desk.queue.my_group", "我的小组", "My group"),
    ("desk.queue.unassigned", "未分派", "Unassigned"),
    ("desk.queue.urgent", "紧急", "Urgent"),
    ("desk.queue.all", "全部", "All"),
    ("desk.queues", "队列", "Queues"),
    ("desk.none", "此队列没有工单。", "No tickets in this queue."),
    ("desk.number", "编号", "Number"),
    ("desk.subject", "主题", "Subject"),
    ("desk.customer", "客户", "Customer"),
    ("desk.state", "状态", "State"),
    ("desk.level", "级别", "Level"),
    ("desk.kind", "类型", "Kind"),
    ("desk.channel", "渠道", "Channel"),
    ("desk.created", "受理时间", "Received"),
    ("desk.group", "处理小组", "Handling group"),
    ("desk.assignee", "处理人", "Assignee"),
    ("desk.description", "详细描述", "Description"),
    ("desk.booking", "相关订单/行程", "Related booking / trip"),
    ("desk.area", "业务领域", "Business area"),
    ("desk.timeline", "处理记录", "Timeline"),
    ("desk.tasks", "任务", "Tasks"),
    ("desk.next", "下一步", "Next step"),
    ("desk.do", "执行", "Apply"),
    ("desk.note", "备注", "Note"),
    ("desk.reason", "原因", "Reason"),
    ("desk.compensation", "补偿", "Compensation"),
    ("desk.amount_yuan", "金额（元）", "Amount (yuan)"),
    ("desk.satisfaction", "满意度（1–5）", "Satisfaction (1–5)"),
    ("desk.rating", "总体评价（1–5）", "Overall rating (1–5)"),
    ("desk.cause", "原因分析", "Cause"),
    ("desk.responsible", "责任人", "Responsible person"),
    ("desk.reopen_now", "立即重新处理", "Reopen now"),
    ("desk.effects", "触发", "Caused"),
    ("desk.approved", "已审批", "Approved"),
    ("desk.pending_approval", "待主管审批", "Awaiting approval"),
    ("desk.shortcuts", "快捷键：j/k 上下移动，Enter 打开，n 新建工单。", "Shortcuts: j/k move, Enter opens, n new ticket."),
    ("desk.customer_name", "客户姓名", "Customer name"),
    ("desk.files", "附件与证据", "Files and evidence"),
    ("desk.files.none", "暂无附件", "No files yet"),
    ("desk.files.add", "上传附件", "Attach a file"),
    ("desk.files.hint", "图片、PDF、文档或录音，最大 10 MB，加密保存，下载留痕", "Pictures, PDF, documents or recordings up to 10 MB; stored encrypted, downloads audited"),
    ("desk.files.error", "上传失败", "Upload failed"),
    ("desk.improvements", "改进措施（每行一条，生成整改任务）", "Improvement actions (one per line, each becomes a task)"),
    ("desk.improvements.hint", "例如：导游出团前一晚电话确认集合时间", "e.g. guides confirm the meeting time by phone the evening before"),
    ("desk.level.change", "调整级别", "Change level"),
    ("desk.customer_phone", "客户电话（可选，加密保存）", "Customer phone (optional, stored encrypted)"),
    ("desk.customer_email", "客户邮箱（可选，加密保存）", "Customer email (optional, stored encrypted)"),
    ("desk.sod", "回访须由非处理小组、未参与处理的回访专员执行。", "The follow-up must be done by someone outside the handling group who did not handle the complaint."),
    ("kind.inquiry", "咨询", "Inquiry"),
    ("kind.complaint", "投诉", "Complaint"),
    ("kind.feedback", "反馈", "Feedback"),
    ("level.general", "一般", "General"),
    ("level.important", "重要", "Important"),
    ("level.urgent", "紧急", "Urgent"),
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
    ("step.triage", "初步评估", "Triage"),
    ("step.assign", "分派处理小组", "Assign"),
    ("step.reassign", "改派", "Reassign"),
    ("step.record_contact", "记录联系客户", "Record contact"),
    ("step.start_investigation", "开始调查", "Start investigation"),
    ("step.propose_solution", "提出处理方案", "Propose solution"),
    ("step.approve_compensation", "审批补偿", "Approve compensation"),
    ("step.resolve", "客户同意，已解决", "Resolve (customer agreed)"),
    ("step.report_result", "反馈处理结果", "Report result"),
    ("step.schedule_follow_up", "安排回访", "Schedule follow-up"),
    ("step.record_follow_up", "记录回访", "Record follow-up"),
    ("step.close", "结案", "Close"),
    ("step.reopen", "重新处理", "Reopen"),
    ("comp.refund", "退款", "Refund"),
    ("comp.voucher", "代金券", "Voucher"),
    ("comp.gift", "礼品", "Gift"),
    ("comp.apology", "致歉", "Apology"),
    ("nav.notify", "消息通知", "Messages"),
    ("nav.deliveries", "发送记录", "Delivery history"),
    ("nav.templates", "消息模板", "Templates"),
    ("inbox.title", "站内通知", "Notifications"),
    ("inbox.none", "暂无通知。", "No notifications."),
    ("inbox.mark_read", "标为已读", "Mark read"),
    ("inbox.read_all", "全部标为已读", "Mark all read"),
    ("deliveries.title", "发送记录", "Delivery history"),
    ("deliveries.all", "全部", "All"),
    ("deliveries.all_channels", "全部渠道", "All channels"),
    (
        "deliveries.related_hint",
        "关联对象，如 booking SH-1001",
        "Related, e.g. booking SH-1001",
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
    ("field.channel", "渠道", "Channel"),
    ("field.recipient", "收件人", "Recipient"),
    ("field.subject", "标题", "Subject"),
    ("field.body", "正文", "Body"),
    ("field.body_html", "HTML 正文（可选）", "HTML body (optional)"),
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
    ("outcome.sent", "已送达", "Sent"),
    ("outcome.retry", "失败，稍后重试", "Failed, will retry"),
    ("outcome.dead", "失败，已放弃", "Failed, gave up"),
    ("outcome.requeued", "管理员重新排队", "Requeued by an admin"),
    ("action.retry", "重新发送", "Retry"),
    ("action.send", "发送", "Send"),
    ("action.preview", "预览", "Preview"),
    // The desk: queues with SLA badges, replies and notes, routing rules, reply templates,
    // the merged timeline and the supervisor board.
    ("nav.desk_board", "投诉看板", "Complaint board"),
    ("nav.desk_rules", "分派规则", "Routing rules"),
    ("nav.desk_replies", "回复模板", "Reply templates"),
    ("desk.queue.breaching", "即将超时", "Breaching soon"),
    ("desk.count", "共 {n} 件", "Tickets: {n}"),
    ("desk.sla.title", "时效", "SLA"),
    ("desk.sla.left", "剩余 {t}", "{t} left"),
    ("desk.sla.over", "超时 {t}", "{t} overdue"),
    ("desk.sla.paused", "已暂停", "Paused"),
    ("desk.sla.unit_d", "天", "d "),
    ("desk.sla.unit_h", "小时", "h "),
    ("desk.sla.unit_m", "分", "m"),
    ("desk.sla.clocks", "时效计时", "SLA clocks"),
    ("desk.sla.due", "截止", "Due"),
    ("desk.filter.label", "筛选", "Filters"),
    ("desk.filter.any_kind", "全部类型", "Any kind"),
    ("desk.filter.any_level", "全部级别", "Any level"),
    ("desk.filter.any_state", "全部状态", "Any state"),
    ("desk.filter.any_channel", "全部渠道", "Any channel"),
    ("desk.filter.any_group", "全部小组", "Any group"),
    ("desk.filter.apply", "筛选", "Filter"),
    ("desk.filter.reset", "清除筛选", "Clear filters"),
    ("desk.inbox.shortcuts", "快捷键：j/k 上下移动，Enter 打开，n 新建工单，g t 回到工单。时效标记实时倒计时。", "Shortcuts: j/k move, Enter opens, n new ticket, g t back to tickets. SLA badges count down live."),
    ("desk.route.suggested", "建议处理小组", "Suggested group"),
    ("desk.route.by_rule", "依据规则", "by rule"),
    ("desk.route.none", "没有匹配的分派规则", "No routing rule matches"),
    ("desk.reply.title", "回复与备注", "Reply or note"),
    ("desk.reply.to_customer", "回复客户", "Reply to customer"),
    ("desk.reply.note", "内部备注", "Internal note"),
    ("desk.reply.send", "发送", "Send"),
    ("desk.reply.pick", "插入回复模板…", "Insert a reply template…"),
    ("desk.reply.hint", "快捷键：r 写回复，t 选模板；在回复框输入 ;代码 后按 Tab 插入模板（如 ;greet），Ctrl+Enter 发送。", "Shortcuts: r writes a reply, t picks a template; type ;key then Tab in the box to insert one (e.g. ;greet); Ctrl+Enter sends."),
    ("desk.reply.emailed", "已通过邮件发送给客户", "Emailed to the customer"),
    ("desk.reply.not_emailed", "客户没有邮箱，未发送邮件", "No email address on file: not emailed"),
    ("desk.reply.clock_met", "首次响应按时完成", "First response met"),
    ("desk.reply.clock_breached", "首次响应已超时", "First response late"),
    ("desk.reply.closed", "工单已结案，请先重新处理再回复。", "The ticket is closed; reopen it before replying."),
    ("desk.convert.button", "转为投诉", "Convert to complaint"),
    ("desk.convert.reason", "转为投诉的原因", "Why it is a complaint"),
    ("desk.convert.hint", "保留原编号和全部记录，进入投诉流程，需先初步评估再分派。", "Keeps its number and history and enters the complaint workflow: triage, then assignment."),
    ("desk.tl.created", "受理工单", "Ticket received"),
    ("desk.tl.reply", "回复客户", "Replied to the customer"),
    ("desk.tl.note", "内部备注", "Internal note"),
    ("desk.tl.converted", "咨询转为投诉", "Inquiry converted to a complaint"),
    ("desk.tl.sla", "时效", "SLA"),
    ("desk.tl.notification", "通知", "Notification"),
    ("desk.tl.started", "开始计时", "clock started"),
    ("desk.tl.paused", "暂停计时", "clock paused"),
    ("desk.tl.resumed", "恢复计时", "clock resumed"),
    ("desk.tl.warning", "即将超时预警", "warning: deadline near"),
    ("desk.tl.breach", "已超时", "deadline missed"),
    ("desk.tl.met", "按时完成", "met in time"),
    ("desk.tl.cancelled", "计时取消", "clock cancelled"),
    ("desk.tl.system", "系统", "System"),
    ("desk.risk.on_track", "正常", "On track"),
    ("desk.risk.at_risk", "有风险", "At risk"),
    ("desk.risk.breached", "已超时", "Breached"),
    ("desk.board.title", "投诉看板", "Complaint board"),
    ("desk.board.hint", "未结投诉按处理状态和时效风险分布：有风险 = 已过预警点，已超时 = 已过截止时间。每列按风险从高到低列出。", "Open complaints by workflow state and SLA risk: at risk = past the warning point, breached = past the deadline. Each column lists the riskiest first."),
    ("desk.board.open", "未结投诉", "Open complaints"),
    ("desk.board.empty", "无", "None"),
    ("desk.board.more", "另有 {n} 件", "{n} more"),
    ("desk.rules.hint", "按优先级从小到大匹配，第一条满足全部条件的启用规则决定处理小组。投诉须先初步评估，建议的小组会预填在分派表单中；咨询和反馈受理时直接进入该小组。", "Rules match in priority order (lowest first); the first enabled rule whose conditions all hold names the handling group. Complaints are triaged first and the group is pre-filled in the assign form; inquiries and feedback go to it at intake."),
    ("desk.rules.name", "名称", "Name"),
    ("desk.rules.priority", "优先级", "Priority"),
    ("desk.rules.conditions", "条件", "Conditions"),
    ("desk.rules.keywords", "关键词", "Keywords"),
    ("desk.rules.keywords_hint", "用逗号分隔；任一出现在主题或描述中即匹配。", "Comma-separated; any one in the subject or description matches."),
    ("desk.rules.any", "任意", "Any"),
    ("desk.rules.enabled", "启用", "Enabled"),
    ("desk.rules.disabled", "已停用", "Disabled"),
    ("desk.rules.add", "添加规则", "Add rule"),
    ("desk.rules.edit", "编辑规则", "Edit rule"),
    ("desk.rules.none", "还没有分派规则。", "No routing rules yet."),
    ("desk.settings.save", "保存", "Save"),
    ("desk.settings.delete", "删除", "Delete"),
    ("desk.settings.edit", "编辑", "Edit"),
    ("desk.settings.cancel", "取消", "Cancel"),
    ("desk.settings.saved", "已保存。", "Saved."),
    ("desk.settings.deleted", "已删除。", "Deleted."),
    ("desk.area.route", "线路/行程", "Routes & itineraries"),
    ("desk.area.guide", "导游", "Guides"),
    ("desk.area.logistics", "交通/后勤", "Transport & logistics"),
    ("desk.area.housekeeping", "客房", "Housekeeping"),
    ("desk.area.food_beverage", "餐饮", "Food & beverage"),
    ("desk.area.booking", "预订", "Bookings"),
    ("desk.replies.hint", "来自服务规范的问候语、结束语和常见答复。可用占位：{{ customer }} 客户、{{ number }} 工单号、{{ agent }} 客服、{{ org }} 机构名。", "Greetings, closings and common answers from the service SOP. Placeholders: {{ customer }}, {{ number }}, {{ agent }}, {{ org }}."),
    ("desk.replies.key", "代码", "Key"),
    ("desk.replies.key_hint", "在回复框输入 ;代码 后按 Tab 插入；a–z、0–9、_。", "Type ;key then Tab in the reply box; a–z, 0–9, _."),
    ("desk.replies.locale", "语言", "Language"),
    ("desk.replies.category", "类别", "Category"),
    ("desk.replies.title_label", "标题", "Title"),
    ("desk.replies.body", "内容", "Text"),
    ("desk.replies.position", "排序", "Order"),
    ("desk.replies.add", "添加模板", "Add template"),
    ("desk.replies.edit", "编辑模板", "Edit template"),
    ("desk.replies.none", "还没有回复模板。", "No reply templates yet."),
    ("desk.cat.greeting", "问候语", "Greeting"),
    ("desk.cat.closing", "结束语", "Closing"),
    ("desk.cat.answer", "常见答复", "Common answer"),
    ("desk.locale.zh-CN", "中文", "Chinese"),
    ("desk.locale.en", "英文", "English"),
    // ---- the customer-facing desk: public form, tracking, surveys ----
    ("public.nav.contact", "在线留言", "Contact us"),
    ("public.nav.track_hint", "已提交过？请打开提交后得到的进度链接。", "Sent us something already? Open the progress link you were given."),
    ("public.footer", "您的个人信息仅用于处理您的留言，加密保存，不会提供给第三方。", "Your personal data is used only to handle your request, stored encrypted, and never given to third parties."),
    ("public.contact.title", "咨询、投诉与建议", "Questions, complaints and suggestions"),
    ("public.contact.intro", "请告诉我们发生了什么。提交后您会得到一个编号和进度查询链接，我们会尽快与您联系。", "Tell us what happened. You will get a reference number and a link to follow progress, and we will contact you soon."),
    ("public.kind", "您想要", "What is it about?"),
    ("public.kind.inquiry", "咨询", "A question"),
    ("public.kind.complaint", "投诉", "A complaint"),
    ("public.kind.feedback", "意见建议", "A suggestion"),
    ("public.name", "您的姓名", "Your name"),
    ("public.contact_group", "联系方式（至少填写一项）", "How can we reach you? (at least one)"),
    ("public.phone", "手机或电话", "Phone"),
    ("public.phone_hint", "境外号码请以 + 和国家代码开头", "Outside mainland China, start with + and the country code"),
    ("public.email", "电子邮箱", "Email"),
    ("public.booking", "订单号或行程（可选）", "Booking reference or trip (optional)"),
    ("public.subject", "标题", "Subject"),
    ("public.description", "详细描述", "What happened?"),
    ("public.description_hint", "时间、地点、经过，以及您希望我们怎样处理。", "When and where, what happened, and what you would like us to do."),
    ("public.submit", "提交", "Send"),
    ("public.errors", "请检查下面标出的内容。", "Please check the fields marked below."),
    ("public.csrf_expired", "表单已过期，请再提交一次。", "This form has expired. Please send it again."),
    ("public.throttled", "提交次数过多，请稍后再试。如有急事，请致电客服热线。", "Too many submissions. Please try again later, or call our hotline if it is urgent."),
    ("public.err.required", "请填写此项。", "Please fill this in."),
    ("public.err.too_long", "内容太长了，请精简。", "This is too long; please shorten it."),
    ("public.err.name", "请填写您的姓名（最多 80 个字）。", "Please give your name (at most 80 characters)."),
    ("public.err.contact", "请至少留下电话或邮箱，方便我们联系您。", "Please give a phone number or an email address so that we can reach you."),
    ("public.err.phone", "请填写有效的电话号码（境外号码请以 + 和国家代码开头）。", "Please give a valid phone number (outside mainland China, start with + and the country code)."),
    ("public.err.email", "请填写有效的邮箱地址，例如 name@example.com。", "Please give a valid email address, such as name@example.com."),
    ("public.err.kind", "请选择一项。", "Please choose one."),
    ("public.err.range", "请选择 1 到 5 分。", "Please choose from 1 to 5."),
    ("public.track.title", "处理进度", "Progress"),
    ("public.track.received", "提交成功，我们已收到您的留言。", "Thank you. We have received your message."),
    ("public.track.keep", "请记下您的编号，并保存本页链接，随时查看处理进度：", "Note your reference number and keep this page's link to follow progress at any time:"),
    ("public.track.number", "编号", "Reference"),
    ("public.track.kind", "类型", "Type"),
    ("public.track.subject", "标题", "Subject"),
    ("public.track.submitted", "提交时间", "Sent"),
    ("public.track.updated", "最近更新", "Last update"),
    ("public.track.status", "当前状态", "Status"),
    ("public.track.progress", "处理经过", "Progress so far"),
    ("public.track.invalid_title", "链接无效", "This link is not valid"),
    ("public.track.invalid", "这个进度查询链接无效或不完整。请检查链接是否完整复制，或致电客服热线查询。", "This progress link is not valid or is incomplete. Check that it was copied whole, or call our hotline."),
    ("public.state.received", "已收到", "Received"),
    ("public.state.triaged", "已受理", "Accepted"),
    ("public.state.assigned", "已转交处理小组", "With the team responsible"),
    ("public.state.contacted", "已与您联系", "We contacted you"),
    ("public.state.investigating", "正在调查核实", "Being looked into"),
    ("public.state.solution_proposed", "已提出解决方案", "Solution proposed"),
    ("public.state.resolved", "已解决", "Resolved"),
    ("public.state.result_reported", "处理结果已确认", "Result confirmed"),
    ("public.state.follow_up_scheduled", "等待回访", "Follow-up planned"),
    ("public.state.followed_up", "已回访", "Followed up"),
    ("public.state.closed", "已办结", "Closed"),
    ("public.state.reopened", "重新处理中", "Being handled again"),
    ("public.hint.received", "我们已收到您的留言，客服人员会尽快查看。", "We have your message; an agent will look at it shortly."),
    ("public.hint.triaged", "客服人员已阅读并评估了您的留言。", "An agent has read and assessed your message."),
    ("public.hint.assigned", "负责的处理小组会在 1 小时内与您联系。", "The team responsible will contact you within one hour."),
    ("public.hint.contacted", "我们已与您联系，正在了解情况。", "We have been in touch and are finding out what happened."),
    ("public.hint.investigating", "我们正在核实经过，例如导游报告、行程记录和您提供的材料。", "We are checking what happened: guide reports, itinerary records and what you told us."),
    ("public.hint.solution_proposed", "我们已提出解决方案，正与您确认。", "We have proposed a solution and are agreeing it with you."),
    ("public.hint.resolved", "问题已按双方同意的方案解决。", "The matter is resolved as agreed with you."),
    ("public.hint.result_reported", "处理结果已确认并存档。", "The result is confirmed and on record."),
    ("public.hint.follow_up_scheduled", "独立的回访小组会在几个工作日内回访，了解您是否满意。", "Our independent follow-up team will ask you within a few working days whether you are satisfied."),
    ("public.hint.followed_up", "感谢您接受回访。", "Thank you for answering our follow-up."),
    ("public.hint.closed", "此事已办结。如有新的问题，欢迎再次留言。", "This is closed. If anything else comes up, please write to us again."),
    ("public.hint.reopened", "我们重新处理您的问题，处理小组会再次与您联系。", "We are handling your matter again; the team will contact you."),
    ("public.survey.title", "服务回访问卷", "Follow-up survey"),
    ("public.survey.about", "关于您的投诉", "About your complaint"),
    ("public.survey.ask", "请用一分钟告诉我们，您对我们的处理是否满意。", "Please take a minute to tell us whether you are satisfied with how we handled it."),
    ("public.survey.satisfaction", "您对本次投诉处理的满意度", "How satisfied are you with how we handled your complaint?"),
    ("public.survey.rating", "您对我社的总体评价", "Your overall rating of our agency"),
    ("public.survey.scale.1", "非常不满意", "Very unsatisfied"),
    ("public.survey.scale.2", "不满意", "Unsatisfied"),
    ("public.survey.scale.3", "一般", "Neutral"),
    ("public.survey.scale.4", "满意", "Satisfied"),
    ("public.survey.scale.5", "非常满意", "Very satisfied"),
    ("public.survey.reason", "如果不满意（1–2 分），请告诉我们原因", "If you are not satisfied (1–2), please tell us why"),
    ("public.survey.suggestions", "您的建议（可选）", "Your suggestions (optional)"),
    ("public.survey.submit", "提交评价", "Send my answers"),
    ("public.survey.valid_until", "链接有效期至 {t}，只能提交一次。", "This link is valid until {t} and can be used once."),
    ("public.survey.thanks_title", "感谢您的评价", "Thank you"),
    ("public.survey.thanks", "您的评价已记录，感谢您帮助我们改进服务。", "Your answers are recorded. Thank you for helping us improve."),
    ("public.survey.sorry", "很抱歉没有让您满意。您的投诉已重新交给处理小组，我们会尽快与您联系。", "We are sorry we did not satisfy you. Your complaint is back with the team, and we will contact you soon."),
    ("public.survey.invalid_title", "问卷链接无效", "This survey link is not valid"),
    ("public.survey.invalid", "这个问卷链接无效或不完整。请检查链接是否完整复制。", "This survey link is not valid or is incomplete. Check that it was copied whole."),
    ("public.survey.expired_title", "问卷链接已过期", "This survey link has expired"),
    ("public.survey.expired", "这个问卷链接已超过有效期。如您仍想告诉我们您的意见，欢迎在线留言或致电客服热线。", "This survey link has expired. If you still want to tell us what you think, please write to us or call our hotline."),
    ("public.survey.used_title", "问卷已提交", "Already answered"),
    ("public.survey.used", "这个问卷链接已经使用过，每个链接只能提交一次。感谢您的反馈！", "This survey link was already used; each link can be used once. Thank you for your answers!"),
    ("public.survey.closed_title", "问卷已关闭", "This survey is closed"),
    ("public.survey.closed", "这次回访已经记录，无需再填写。如有新的问题，欢迎在线留言。", "This follow-up is already recorded; there is nothing more to fill in. If anything else comes up, please write to us."),
    ("desk.links.title", "客户链接与回访问卷", "Customer links & survey"),
    ("desk.links.tracking", "进度查询链接", "Progress link"),
    ("desk.links.tracking_hint", "可通过短信、微信或邮件发给客户。链接不会过期；页面只显示处理进度，不显示员工姓名和内部备注。", "Send it by SMS, WeChat or email. It does not expire; the page shows progress only, never staff names or internal notes."),
    ("desk.links.open_form", "客户在线留言页面", "The customers' contact form"),
    ("desk.survey.title", "回访问卷", "Follow-up surveys"),
    ("desk.survey.send", "发送问卷链接", "Send a survey link"),
    ("desk.survey.hint", "问卷链接 14 天内有效，只能提交一次；客户的回答以您的名义记录为回访，满意度 1–2 分会生成整改任务并重新处理。", "A survey link is valid for 14 days and once; the customer's answer is recorded as the follow-up on your behalf, and 1–2 creates a rectification task and reopens the complaint."),
    ("desk.survey.not_due", "投诉处于“待回访”状态时，回访专员才能发送问卷。", "A follow-up agent can send a survey once the complaint's follow-up is scheduled."),
    ("desk.survey.new", "问卷链接已生成", "Survey link created"),
    ("desk.survey.emailed", "已通过邮件发给客户。也可以读给客户，或通过短信、微信发送：", "It was emailed to the customer. You can also read it out, or send it by SMS or WeChat:"),
    ("desk.survey.not_emailed", "客户没有留邮箱：请通过短信或微信发送此链接，或读给客户：", "The customer has no email address: send this link by SMS or WeChat, or read it out:"),
    ("desk.survey.none", "尚未发送问卷。", "No survey sent yet."),
    ("desk.survey.sent_at", "发送时间", "Sent"),
    ("desk.survey.by", "回访专员", "Follow-up agent"),
    ("desk.survey.expires", "有效期至", "Valid until"),
    ("desk.survey.state", "状态", "State"),
    ("desk.survey.answers", "回答", "Answers"),
    ("desk.survey.email", "邮件", "Email"),
    ("desk.survey.state.pending", "待作答", "Waiting"),
    ("desk.survey.state.answered", "已作答", "Answered"),
    ("desk.survey.state.expired", "已过期", "Expired"),
    ("desk.survey.yes", "已发", "Sent"),
    ("desk.survey.no", "未发", "No"),
    ("desk.survey.back", "返回工单", "Back to the ticket"),
    ("desk.find.label", "按编号打开工单", "Open a ticket by its reference"),
    ("desk.find.placeholder", "编号，如 TS0000301", "Reference, e.g. TS0000301"),
    ("desk.find.go", "打开", "Open"),
    // Field errors in the staff interface (`field_error`): the code's meaning, with the label.
    ("err.required", "请填写{label}。", "{label} is required."),
    ("err.too_long", "{label}太长了，请精简。", "{label} is too long."),
    ("err.length", "{label}的长度不符合要求。", "{label} has the wrong length."),
    ("err.invalid", "{label}的格式或取值不正确。", "{label} is not valid."),
    ("err.unknown", "{label}：找不到对应的记录。", "{label}: no such record."),
    ("err.range", "{label}超出了允许的范围。", "{label} is out of range."),
    ("err.too_many", "{label}太多了。", "Too many {label}."),
    ("err.same", "{label}与原来相同。", "{label} is unchanged."),
    ("err.unchanged", "{label}没有变化。", "{label} is unchanged."),
    (
        "err.weak",
        "{label}不够安全，请换一个更长、更不常见的。",
        "{label} is too weak.",
    ),
    (
        "err.outside_window",
        "{label}不在回访时间窗口内（以工作日计）。",
        "{label} is outside the follow-up window.",
    ),
    (
        "err.not_follow_up",
        "{label}：此人不是回访人员。",
        "{label}: not a member of the follow-up team.",
    ),
    ("field.customer.name", "客户姓名", "Customer name"),
    ("field.customer.phone", "客户电话", "Customer phone"),
    ("field.customer.email", "客户邮箱", "Customer email"),
    ("field.customer.contact", "联系方式", "Contact"),
    ("field.customer", "客户", "Customer"),
    ("field.tags", "标签", "Tags"),
    ("field.booking_ref", "关联订单或行程", "Booking or trip"),
    ("field.business_area", "业务领域", "Business area"),
    ("field.reason", "原因", "Reason"),
    ("field.note", "备注", "Note"),
    ("field.scheduled_at", "计划回访时间", "Planned visit"),
    ("field.assignee", "处理人", "Assignee"),
    ("field.group", "处理组", "Handling group"),
    ("field.level", "等级", "Level"),
    ("field.satisfaction", "满意度", "Satisfaction"),
    ("field.overall_rating", "总体评价", "Overall rating"),
    ("field.suggestions", "建议", "Suggestions"),
    ("field.improvements", "改进措施", "Improvements"),
    ("field.responsible_department", "责任部门", "Responsible department"),
    ("field.keywords", "关键词", "Keywords"),
    ("field.priority", "优先级", "Priority"),
    ("field.name", "名称", "Name"),
    ("field.file", "文件", "File"),
    // Issue 11 item 1 (calendar): years without the State Council's holiday arrangement are
    // computed on the provisional calendar and marked; administrators are warned.
    ("calendar.provisional", "暂定（待国务院放假安排）", "Provisional (awaiting the State Council holiday arrangement)"),
    ("calendar.provisional_short", "暂定", "Provisional"),
    (
        "calendar.provisional_hint",
        "该年尚无国务院放假安排：按周末加法定节假日（不含调休）暂定计算，导入安排后自动重算。",
        "No State Council arrangement for that year yet: computed on weekends plus statutory holidays (no make-up working days); recomputed when the arrangement is imported.",
    ),
    (
        "calendar.gap.current",
        "日历 {calendar} 缺少 {year} 年的国务院节假日安排，当年的到期时间正按暂定日历计算。请导入该年的放假安排。",
        "Calendar {calendar} has no State Council holiday arrangement for {year}: due instants this year are being computed on the provisional calendar. Please import the year's arrangement.",
    ),
    (
        "calendar.gap.next",
        "日历 {calendar} 尚无 {year} 年的国务院节假日安排（通常于 10–12 月发布）。发布后请及时导入；在此之前 {year} 年的到期时间按暂定日历计算。",
        "Calendar {calendar} has no State Council holiday arrangement for {year} yet (usually published October to December). Import it once published; until then due instants in {year} are computed on the provisional calendar.",
    ),
    ("calendar.gap.import", "导入放假安排", "Import the arrangement"),
    ("calendar.provisional_years", "暂定年份", "Provisional years"),
    // Issue 11 (websec): typed text refused by `tripdesk_domain::text`, field by field.
    ("err.line_break", "{label}只能填写一行（不能换行）。", "{label} must be on one line."),
    (
        "err.control_character",
        "{label}含有不可见的控制字符，请删除后再试。",
        "{label} contains control characters; please remove them.",
    ),
    (
        "err.bidi_control",
        "{label}含有改变文字方向的控制字符（如 U+202E），请删除后再试。",
        "{label} contains text-direction control characters (such as U+202E); please remove them.",
    ),
    (
        "public.err.text",
        "此项含有不能使用的字符（换行或不可见的控制字符），请删除后再试。",
        "This contains characters that cannot be used here (line breaks or invisible control characters); please remove them.",
    ),
    // Audit actions (`tripdesk_domain::audit::AuditAction`): `audit.act.<code>`, and the
    // filter groups `audit.group.<entity>`.
    ("audit.group.auth", "登录", "Sign-in"),
    ("audit.group.api_token", "API 令牌", "API tokens"),
    ("audit.group.user", "用户", "Users"),
    ("audit.group.department", "部门", "Departments"),
    ("audit.group.customer", "客户", "Customers"),
    ("audit.group.ticket", "工单", "Tickets"),
    ("audit.group.survey", "满意度调查", "Surveys"),
    ("audit.group.reply_template", "回复模板", "Reply templates"),
    ("audit.group.routing_rule", "分派规则", "Routing rules"),
    ("audit.group.preference", "通知偏好", "Preferences"),
    ("audit.group.sla", "时限", "SLA clocks"),
    ("audit.group.sla_policy", "时限策略", "SLA policies"),
    ("audit.group.sla_clock", "时限计时", "SLA clocks (by hand)"),
    ("audit.group.calendar", "日历", "Calendars"),
    ("audit.group.message_template", "消息模板", "Message templates"),
    ("audit.group.webhook", "Webhook", "Webhooks"),
    ("audit.group.rate_limit", "发送速率", "Rate limits"),
    ("audit.group.message", "消息", "Messages"),
    ("audit.group.vault", "密钥", "Vault keys"),
    ("audit.group.audit", "审计日志", "Audit log"),
    ("audit.act.auth.login_failed", "登录失败", "Sign-in refused"),
    ("audit.act.auth.login", "登录", "Signed in"),
    ("audit.act.auth.logout", "退出登录", "Signed out"),
    ("audit.act.api_token.create", "创建 API 令牌", "API token created"),
    ("audit.act.api_token.revoke", "吊销 API 令牌", "API token revoked"),
    ("audit.act.user.create", "创建用户", "User created"),
    ("audit.act.user.update", "修改用户", "User changed"),
    ("audit.act.department.create", "创建部门", "Department created"),
    ("audit.act.department.update", "修改部门", "Department changed"),
    ("audit.act.customer.create", "创建客户", "Customer created"),
    ("audit.act.customer.create_at_intake", "受理时创建客户", "Customer created at intake"),
    ("audit.act.customer.import", "导入客户", "Customer imported"),
    ("audit.act.customer.import_file", "导入客户文件", "Customer file imported"),
    ("audit.act.customer.update", "修改客户", "Customer changed"),
    ("audit.act.customer.reveal", "查看敏感信息", "Sensitive value revealed"),
    ("audit.act.customer.consent", "记录授权同意", "Consent recorded"),
    ("audit.act.customer.merge", "合并客户", "Customers merged"),
    ("audit.act.customer.merged_into", "客户被合并", "Customer merged into another"),
    ("audit.act.customer.export", "导出个人信息副本", "Personal data copy exported"),
    ("audit.act.customer.export_list", "导出客户列表", "Customer list exported"),
    ("audit.act.customer.erase", "删除个人信息", "Personal data erased"),
    ("audit.act.ticket.created", "创建工单", "Ticket created"),
    ("audit.act.ticket.step", "工单处理步骤", "Ticket step"),
    ("audit.act.ticket.level_changed", "调整工单级别", "Ticket level changed"),
    ("audit.act.ticket.attachment", "上传附件", "Attachment added"),
    ("audit.act.ticket.attachment_download", "下载附件", "Attachment downloaded"),
    ("audit.act.ticket.convert", "咨询转投诉", "Inquiry turned into a complaint"),
    ("audit.act.ticket.survey_sent", "工单发出满意度调查", "Survey sent on the ticket"),
    ("audit.act.survey.send", "发送满意度调查", "Survey sent"),
    ("audit.act.reply_template.create", "创建回复模板", "Reply template created"),
    ("audit.act.reply_template.update", "修改回复模板", "Reply template changed"),
    ("audit.act.reply_template.delete", "删除回复模板", "Reply template deleted"),
    ("audit.act.routing_rule.create", "创建分派规则", "Routing rule created"),
    ("audit.act.routing_rule.update", "修改分派规则", "Routing rule changed"),
    ("audit.act.routing_rule.delete", "删除分派规则", "Routing rule deleted"),
    ("audit.act.preference.set", "设置通知偏好", "Notification preferences set"),
    ("audit.act.sla.warning", "时限预警", "SLA warning"),
    ("audit.act.sla.breach", "时限超时", "SLA breached"),
    ("audit.act.sla_policy.update", "修改时限策略", "SLA policy changed"),
    ("audit.act.sla_clock.start", "手动启动时限", "SLA clock started by hand"),
    ("audit.act.sla_clock.pause", "暂停时限", "SLA clock paused"),
    ("audit.act.sla_clock.resume", "恢复时限", "SLA clock resumed"),
    ("audit.act.sla_clock.stop", "停止时限", "SLA clock stopped"),
    ("audit.act.sla_clock.cancel", "取消时限", "SLA clock cancelled"),
    ("audit.act.calendar.create", "创建日历", "Calendar created"),
    ("audit.act.calendar.update", "修改日历", "Calendar changed"),
    ("audit.act.calendar.delete", "删除日历", "Calendar deleted"),
    ("audit.act.calendar.holidays_imported", "导入节假日安排", "Holiday years imported"),
    ("audit.act.calendar.holidays_deleted", "删除节假日年份", "Holiday year deleted"),
    ("audit.act.calendar.holidays_missing", "节假日安排缺失提醒", "Missing holiday year reported"),
    ("audit.act.message_template.save", "保存消息模板", "Message template saved"),
    ("audit.act.message_template.delete", "删除消息模板", "Message template deleted"),
    ("audit.act.webhook.create", "创建 Webhook", "Webhook created"),
    ("audit.act.webhook.update", "修改 Webhook", "Webhook changed"),
    ("audit.act.webhook.delete", "删除 Webhook", "Webhook deleted"),
    ("audit.act.rate_limit.set", "设置发送速率", "Rate limit set"),
    ("audit.act.rate_limit.remove", "移除发送速率", "Rate limit removed"),
    ("audit.act.message.requeue", "重新投递消息", "Message requeued"),
    ("audit.act.vault.reseal", "重新加密数据", "Data re-encrypted"),
    ("audit.act.vault.rotate", "轮换密钥", "Vault key rotated"),
    ("audit.act.audit.chain_keyed", "审计链启用密钥", "Audit chain keyed"),
    ("audit.all_of", "全部：{group}", "All: {group}"),
    ("audit.unknown_action", "没有这种操作，请从列表中选择。", "No such action; choose one from the list."),
];

fn table() -> &'static HashMap<&'static str, (&'static str, &'static str)> {
    static TABLE: OnceLock<HashMap<&'static str, (&'static str, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| TEXT.iter().map(|(k, zh, en)| (*k, (*zh, *en))).collect())
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
}

/// The label of a form field (`field.<name>` without a trailing `_id`), or the name itself.
pub fn field_label(t: Tr, field: &str) -> String {
    let key = format!("field.{}", field.trim_end_matches("_id"));
    if Tr::has(&key) {
        t.s(&key).to_string()
    } else {
        field.to_string()
    }
}

/// A use case's field error as the staff interface shows it. In Chinese: the field's label and
/// the meaning of its stable code (`required`, `too_long`…). In English, and for a code
/// without a translation, the use case's own sentence, which already names the field.
pub fn field_error(t: Tr, f: &tripdesk_app::FieldError) -> String {
    let key = format!("err.{}", f.code);
    if t.0 == Lang::En || !Tr::has(&key) {
        return f.message.clone();
    }
    t.s(&key).replace("{label}", &field_label(t, &f.field))
}

/// Every field error of a failed form, as [`field_error`] shows each.
pub fn field_errors(t: Tr, fields: &[tripdesk_app::FieldError]) -> Vec<String> {
    fields.iter().map(|f| field_error(t, f)).collect()
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
        for (k, zh, en) in TEXT {
            assert!(seen.insert(k), "duplicate key {k}");
            assert!(!zh.is_empty() && !en.is_empty(), "{k} is empty");
        }
    }

    #[test]
    fn every_key_used_in_templates_exists() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for part in text.split("t.s(\"").skip(1) {
                let key = &part[..part.find('"').unwrap()];
                assert!(Tr::has(key), "{} uses unknown key {key}", path.display());
            }
        }
    }
}
