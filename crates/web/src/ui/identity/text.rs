//! The interface text of the dashboard, staff accounts and departments (zh-CN, en): this capability's slice
//! of the one table [`crate::i18n`] reads.

use crate::i18n::Entry;

pub(crate) const TEXT: &[Entry] = &[
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
        "快捷键：g 然后 h 工作台，g 然后 t 工单，g 然后 n 通知，/ 搜索。",
        "Shortcuts: g then h dashboard, g then t tickets, g then n notifications, / search.",
    ),
    (
        "home.shortcuts_admin",
        "g 然后 u 员工，g 然后 d 部门。",
        "g then u staff, g then d departments.",
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
    ("depts.title", "部门与小组", "Departments & groups"),
    ("depts.new", "新建部门", "New department"),
    ("depts.edit", "编辑部门", "Edit department"),
];
