//! Each kind of incident's checklist, by team role (seed 000's 应急预案 flows).

use super::{IncidentKind, TeamRole};

/// One thing a role must do in an incident of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChecklistItem {
    /// Stable key, stored with the tick.
    pub key: &'static str,
    pub role: TeamRole,
    pub zh: &'static str,
    pub en: &'static str,
}

const fn item(
    key: &'static str,
    role: TeamRole,
    zh: &'static str,
    en: &'static str,
) -> ChecklistItem {
    ChecklistItem { key, role, zh, en }
}

use TeamRole::*;

const COMMON_HEAD: [ChecklistItem; 1] = [item(
    "assign_team",
    Leader,
    "组建应急小组，明确组长、客服经理、技术支持、后勤保障",
    "Form the team: leader, CS manager, technical support, logistics",
)];

const COMMON_TAIL: [ChecklistItem; 2] = [
    item(
        "report_authority",
        Leader,
        "向旅游主管部门首报（较大及以上事件 1 小时内）",
        "First report to the tourism authority (within 1 hour for serious incidents)",
    ),
    item(
        "closing_summary",
        Leader,
        "事件结束后撰写总结报告，提出改进措施",
        "Write the closing summary with improvements",
    ),
];

const DISASTER: [ChecklistItem; 5] = [
    item(
        "monitor_warn",
        Leader,
        "跟踪气象与官方预警，评估行程风险",
        "Monitor the weather and official warnings; judge the risk to trips",
    ),
    item(
        "notify_customers",
        CsManager,
        "通过短信、电话通知受影响游客并确认安全",
        "Notify affected travelers by SMS and phone and confirm they are safe",
    ),
    item(
        "resettle",
        Logistics,
        "协助安置或疏散：住宿、交通、物资",
        "Help resettle or evacuate: rooms, transport, supplies",
    ),
    item(
        "adjust_bookings",
        CsManager,
        "按不可抗力政策为受影响订单办理改期或退款",
        "Offer postponement or refund on affected bookings under force majeure",
    ),
    item(
        "systems_ready",
        TechSupport,
        "确认短信通道与系统可用，监控送达进度",
        "Check the SMS channel and systems; watch delivery progress",
    ),
];

const SAFETY: [ChecklistItem; 4] = [
    item(
        "call_120_110",
        Leader,
        "第一时间拨打 120 / 110，确认伤员得到救治",
        "Call 120 / 110 first; make sure the injured are treated",
    ),
    item(
        "comfort_customer",
        CsManager,
        "指定专人安抚客户及家属，保持联系",
        "Name one person to comfort the customer and family and stay in touch",
    ),
    item(
        "logistics_support",
        Logistics,
        "安排就医、住宿、交通等后勤支持",
        "Arrange hospital visits, rooms and transport",
    ),
    item(
        "follow_up",
        CsManager,
        "事后回访客户，跟进理赔与后续处理",
        "Follow up with the customer afterwards: claims and care",
    ),
];

const SYSTEM: [ChecklistItem; 4] = [
    item(
        "troubleshoot",
        TechSupport,
        "技术团队排查并修复故障，记录原因",
        "Troubleshoot and repair; record the cause",
    ),
    item(
        "manual_handling",
        CsManager,
        "切换人工处理：打印今日到店、出发及待处理订单清单",
        "Switch to manual handling: print today's arrivals, departures and pending bookings",
    ),
    item(
        "notify_multichannel",
        CsManager,
        "通过多渠道（短信、电话、邮件）通知受影响客户",
        "Notify affected customers on several channels (SMS, phone, email)",
    ),
    item(
        "restore_verify",
        TechSupport,
        "恢复后核对人工期间的订单并补录",
        "After recovery, reconcile and enter the bookings taken by hand",
    ),
];

const OTHER: [ChecklistItem; 2] = [
    item(
        "assess",
        Leader,
        "评估影响范围与游客安全",
        "Assess the reach and the travelers' safety",
    ),
    item(
        "notify_customers",
        CsManager,
        "通知受影响游客并确认安全",
        "Notify affected travelers and confirm they are safe",
    ),
];

/// The checklist of an incident of `kind`: forming the team first, the kind's own steps,
/// then the report and the closing summary.
pub fn checklist(kind: IncidentKind) -> Vec<ChecklistItem> {
    let own: &[ChecklistItem] = match kind {
        IncidentKind::NaturalDisaster => &DISASTER,
        IncidentKind::Safety => &SAFETY,
        IncidentKind::SystemFailure => &SYSTEM,
        IncidentKind::Other => &OTHER,
    };
    COMMON_HEAD
        .iter()
        .chain(own)
        .chain(COMMON_TAIL.iter())
        .copied()
        .collect()
}
