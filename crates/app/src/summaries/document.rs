//! A summary as tables — one per section, each with a totals row — and those tables as a
//! Chinese PDF document (rendered by [`App::render_pdf`](crate::App::render_pdf)) and an
//! XLSX workbook (one sheet per section). Both are built from the same [`Table`]s, so the
//! PDF and the workbook cannot disagree.

use super::{KpiFigure, Summary, TOP_CAUSES};
use crate::AppError;
use jiff::Timestamp;
use tripdesk_domain::catalog::yuan;
use tripdesk_domain::desk::{Level, State};
use tripdesk_domain::feedback::Category;
use tripdesk_domain::quality::{Kpi, Target, Unit, Verdict};
use tripdesk_domain::summaries::{is_resolved, Cadence, TaskStanding};
use tripdesk_pdf::{Block, Document, Section};
use tripdesk_sheets::{Cell, Sheet};

/// The document's title: 服务质量周报 / 服务质量月报.
pub fn title(cadence: Cadence) -> &'static str {
    match cadence {
        Cadence::Week => "服务质量周报",
        Cadence::Month => "服务质量月报",
    }
}

/// The section headings, in order (the PDF's headings, the workbook's sheet names).
pub const HEADING_OVERVIEW: &str = "概况";
pub const HEADING_KPIS: &str = "指标与目标";
pub const HEADING_LEVELS: &str = "投诉按级别";
pub const HEADING_STATES: &str = "投诉按状态";
pub const HEADING_CAUSES: &str = "主要投诉原因";
pub const HEADING_COMPLAINTS: &str = "投诉明细";
pub const HEADING_RECTIFICATION: &str = "整改任务";
pub const HEADING_IMPROVEMENT: &str = "改进措施";
pub const HEADING_DRILLS: &str = "应急演练";
/// The 0/1 columns the workbook sums and the PDF leaves out.
const FLAG_COLUMNS: [&str; 6] = ["已解决", "已完成", "已逾期", "进行中", "达标", "未达标"];
/// The first cell of every totals row.
pub const TOTAL: &str = "合计";

/// One section of a summary as a table: what the PDF prints and the workbook holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub heading: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
    /// The sums of the rows' number columns (text columns empty, the first `合计`).
    pub totals: Option<Vec<Cell>>,
    /// Said when there are no rows.
    pub empty: &'static str,
}

impl Table {
    fn new(heading: &'static str, headers: Vec<&'static str>, empty: &'static str) -> Self {
        Table {
            heading,
            headers,
            rows: Vec::new(),
            totals: None,
            empty,
        }
    }

    /// Adds the totals row: each number column summed, `合计` in the first.
    fn with_totals(mut self) -> Self {
        let width = self.headers.len();
        let mut totals = vec![Cell::text(""); width];
        totals[0] = Cell::text(TOTAL);
        for (c, total) in totals.iter_mut().enumerate().skip(1) {
            let mut sum = None;
            for row in &self.rows {
                if let Some(Cell::Number(n)) = row.get(c) {
                    sum = Some(sum.unwrap_or(0.0) + n);
                }
            }
            if let Some(sum) = sum {
                *total = Cell::Number(round2(sum));
            }
        }
        self.totals = Some(totals);
        self
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Fen as a number of yuan for a spreadsheet (two decimals).
fn yuan_number(fen: i64) -> Cell {
    Cell::Number(fen as f64 / 100.0)
}

pub fn level_zh(level: Level) -> &'static str {
    match level {
        Level::General => "一般",
        Level::Important => "重要",
        Level::Urgent => "紧急",
    }
}

pub fn state_zh(state: State) -> &'static str {
    match state {
        State::Received => "已受理",
        State::Triaged => "已评估",
        State::Assigned => "已分派",
        State::Contacted => "已联系客户",
        State::Investigating => "调查中",
        State::SolutionProposed => "已提出方案",
        State::Resolved => "已解决",
        State::ResultReported => "结果已反馈",
        State::FollowUpScheduled => "待回访",
        State::FollowedUp => "已回访",
        State::Closed => "已结案",
        State::Reopened => "重新处理",
    }
}

/// A feedback category in Chinese.
pub fn category_zh(c: Category) -> &'static str {
    match c {
        Category::Guide => "导游",
        Category::Itinerary => "行程",
        Category::Lodging => "酒店/住宿",
        Category::Transport => "交通",
        Category::Food => "餐饮",
        Category::Price => "价格/退款",
        Category::StaffAttitude => "服务态度",
        Category::Safety => "安全",
        Category::BookingSystem => "预订系统",
        Category::Other => "其他",
    }
}

/// The cause as the summary names it: a feedback category's name, a recorded cause as
/// written, `未填写` when none was recorded.
pub fn cause_zh(cause: &str) -> String {
    match Category::parse(cause) {
        Some(c) => category_zh(c).into(),
        None if cause.is_empty() => "未填写".into(),
        None => cause.to_string(),
    }
}

/// A commitment's name in Chinese (the dashboard's).
pub fn kpi_zh(k: Kpi) -> &'static str {
    match k {
        Kpi::AnswerRate => "电话接通率",
        Kpi::FirstResponsePhone => "电话首次响应 ≤ 3 分钟",
        Kpi::FirstResponseChat => "在线咨询首次响应 ≤ 3 分钟",
        Kpi::FirstResponseSocial => "社交媒体首次回复 ≤ 30 分钟",
        Kpi::FirstResponseEmail => "邮件一个工作日内回复",
        Kpi::BookingConfirmation => "预订 1 小时内确认",
        Kpi::ComplaintContact => "投诉 1 小时内联系客户",
        Kpi::ComplaintResult => "处理结果 24 小时内反馈",
        Kpi::ComplaintFollowUp => "投诉按时回访",
        Kpi::Uptime => "预订系统可用率",
        Kpi::ComplaintRate => "投诉率（每百单）",
        Kpi::RepurchaseRate => "复购率",
        Kpi::WordOfMouth => "口碑新增客户",
        Kpi::Satisfaction => "回访满意度",
    }
}

/// A target in Chinese: `≥ 95%`, `较上期下降 20%`.
pub fn target_zh(t: Target) -> String {
    match t {
        Target::AtLeast { permille } => format!("≥ {}%", f64::from(permille) / 10.0),
        Target::Change { percent } if percent < 0 => format!("较上期下降 {}%", -percent),
        Target::Change { percent } => format!("较上期增长 {percent}%"),
    }
}

/// A figure's value in its unit (`—` when nothing was measured).
pub fn value_text(unit: Unit, value: Option<f64>) -> String {
    match (unit, value) {
        (_, None) => "—".into(),
        (Unit::Share, Some(v)) => format!("{:.1}%", v * 100.0),
        (Unit::Per100, Some(v)) => format!("{v:.2}"),
        (Unit::Count, Some(v)) => format!("{v:.0}"),
    }
}

pub fn verdict_zh(v: Verdict) -> &'static str {
    match v {
        Verdict::Met => "达标",
        Verdict::Missed => "未达标",
        Verdict::NotMeasured => "无数据",
    }
}

fn kpi_row(f: &KpiFigure) -> Vec<Cell> {
    let current = f.current();
    vec![
        Cell::text(kpi_zh(f.kpi)),
        Cell::text(target_zh(f.target)),
        Cell::text(value_text(f.unit, current.and_then(|p| p.value))),
        Cell::text(value_text(f.unit, f.previous().and_then(|p| p.value))),
        Cell::text(
            current
                .map(|p| format!("{} / {}", p.ratio.num, p.ratio.den))
                .unwrap_or_default(),
        ),
        Cell::text(verdict_zh(f.verdict)),
        flag(f.verdict == Verdict::Met),
        flag(f.verdict == Verdict::Missed),
    ]
}

/// An instant in the organisation's zone, to the minute.
pub fn local_minute(t: Timestamp) -> String {
    t.to_zoned(tripdesk_domain::calendar::china_time_zone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

fn opt_minute(t: Option<Timestamp>) -> String {
    t.map(local_minute).unwrap_or_default()
}

fn flag(b: bool) -> Cell {
    Cell::int(i64::from(b))
}

/// The summary's tables, in order.
pub fn tables(s: &Summary) -> Vec<Table> {
    let t = &s.tally;
    let mut overview = Table::new(HEADING_OVERVIEW, vec!["项目", "数值"], "");
    let rectification = |st| s.count_tasks("rectification", st) as i64;
    let improvement = |st| s.count_tasks("improvement", st) as i64;
    for (label, value) in [
        ("投诉总数", Cell::int(t.total as i64)),
        ("已解决", Cell::int(t.resolved as i64)),
        ("未解决", Cell::int((t.total - t.resolved) as i64)),
        ("赔偿件数", Cell::int(t.compensated as i64)),
        ("赔偿金额（元）", yuan_number(t.compensation_fen)),
        (
            "整改任务（已完成）",
            Cell::int(rectification(TaskStanding::Done)),
        ),
        (
            "整改任务（已逾期）",
            Cell::int(rectification(TaskStanding::Overdue)),
        ),
        (
            "改进措施（已完成）",
            Cell::int(improvement(TaskStanding::Done)),
        ),
        ("应急演练（次）", Cell::int(s.drills.len() as i64)),
        (
            "指标达标（项）",
            Cell::int(s.kpis.iter().filter(|k| k.verdict == Verdict::Met).count() as i64),
        ),
        (
            "指标未达标（项）",
            Cell::int(
                s.kpis
                    .iter()
                    .filter(|k| k.verdict == Verdict::Missed)
                    .count() as i64,
            ),
        ),
    ] {
        overview.rows.push(vec![Cell::text(label), value]);
    }

    let mut kpis = Table::new(
        HEADING_KPIS,
        vec![
            "指标",
            "目标",
            "本期",
            "上期",
            "计数",
            "结果",
            "达标",
            "未达标",
        ],
        "无指标",
    );
    kpis.rows = s.kpis.iter().map(kpi_row).collect();

    let mut levels = Table::new(
        HEADING_LEVELS,
        vec!["级别", "投诉数", "已解决数", "赔偿金额（元）"],
        "本期无投诉",
    );
    for (level, n) in &t.by_level {
        let of_level = s
            .complaints
            .iter()
            .map(|l| &l.complaint)
            .filter(|c| c.level == *level);
        let resolved = of_level.clone().filter(|c| is_resolved(c.state)).count();
        let fen: i64 = of_level.filter_map(|c| c.compensation_amount_fen).sum();
        levels.rows.push(vec![
            Cell::text(level_zh(*level)),
            Cell::int(*n as i64),
            Cell::int(resolved as i64),
            yuan_number(fen),
        ]);
    }

    let mut states = Table::new(HEADING_STATES, vec!["状态", "投诉数"], "本期无投诉");
    for (state, n) in &t.by_state {
        states
            .rows
            .push(vec![Cell::text(state_zh(*state)), Cell::int(*n as i64)]);
    }

    let mut causes = Table::new(HEADING_CAUSES, vec!["原因", "投诉数"], "本期无投诉");
    let mut rest = 0u64;
    for (i, (cause, n)) in t.causes.iter().enumerate() {
        if i < TOP_CAUSES {
            causes
                .rows
                .push(vec![Cell::text(cause_zh(cause)), Cell::int(*n as i64)]);
        } else {
            rest += n;
        }
    }
    if rest > 0 {
        causes
            .rows
            .push(vec![Cell::text("其他"), Cell::int(rest as i64)]);
    }

    let mut complaints = Table::new(
        HEADING_COMPLAINTS,
        vec![
            "工单号",
            "受理时间",
            "级别",
            "状态",
            "原因",
            "已解决",
            "赔偿金额（元）",
        ],
        "本期无投诉",
    );
    for line in &s.complaints {
        let c = &line.complaint;
        let causes: Vec<String> = line.causes.iter().map(|x| cause_zh(x)).collect();
        complaints.rows.push(vec![
            Cell::text(&c.number),
            Cell::text(local_minute(c.created_at)),
            Cell::text(level_zh(c.level)),
            Cell::text(state_zh(c.state)),
            Cell::text(causes.join("、")),
            flag(is_resolved(c.state)),
            yuan_number(c.compensation_amount_fen.unwrap_or(0)),
        ]);
    }

    let task_table = |kind: &str, heading, empty| {
        let mut table = Table::new(
            heading,
            vec![
                "工单号",
                "事项",
                "责任部门",
                "创建时间",
                "期限",
                "完成时间",
                "状态",
                "已完成",
                "已逾期",
                "进行中",
            ],
            empty,
        );
        for line in s.tasks_of(kind) {
            let x = &line.task;
            table.rows.push(vec![
                Cell::text(&x.ticket_number),
                Cell::text(&x.title),
                Cell::text(line.department.clone().unwrap_or_default()),
                Cell::text(local_minute(x.created_at)),
                Cell::text(opt_minute(x.due_at)),
                Cell::text(opt_minute(x.done_at)),
                Cell::text(line.standing.zh()),
                flag(line.standing == TaskStanding::Done),
                flag(line.standing == TaskStanding::Overdue),
                flag(line.standing == TaskStanding::Open),
            ]);
        }
        table.with_totals()
    };
    let rectification = task_table("rectification", HEADING_RECTIFICATION, "本期无整改任务");
    let improvement = task_table("improvement", HEADING_IMPROVEMENT, "本期无改进措施");

    let mut drills = Table::new(
        HEADING_DRILLS,
        vec![
            "演练",
            "开始时间",
            "人数",
            "已送达",
            "已报平安",
            "需要帮助",
            "未回复",
        ],
        "本期无应急演练",
    );
    for d in &s.drills {
        let f = &d.figures;
        drills.rows.push(vec![
            Cell::text(&d.incident.title),
            Cell::text(local_minute(d.incident.declared_at)),
            Cell::int(f.people as i64),
            Cell::int(f.delivered as i64),
            Cell::int(f.safe as i64),
            Cell::int(f.needs_help as i64),
            Cell::int(f.not_answered as i64),
        ]);
    }

    vec![
        overview,
        kpis.with_totals(),
        levels.with_totals(),
        states.with_totals(),
        causes.with_totals(),
        complaints.with_totals(),
        rectification,
        improvement,
        drills.with_totals(),
    ]
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(t) => t.clone(),
        Cell::Number(n) if n.fract() == 0.0 => format!("{}", *n as i64),
        Cell::Number(n) => format!("{n:.2}"),
    }
}

/// The period's line under the title: `2026年11月（2026-11-01 至 2026-11-30）`.
fn period_line(s: &Summary) -> String {
    match s.period.cadence {
        Cadence::Week => s.period.title_zh(),
        Cadence::Month => format!(
            "{}（{} 至 {}）",
            s.period.title_zh(),
            s.period.from,
            s.period.last_day()
        ),
    }
}

/// The summary as a Chinese PDF document.
pub fn pdf_document(s: &Summary, org_name: &str) -> Document {
    let mut meta = vec![
        format!("统计期间：{}", period_line(s)),
        format!("生成时间：{}", local_minute(s.generated_at)),
    ];
    if !s.complete {
        meta.push("本期尚未结束，数字截至生成时间。".into());
    }
    let mut sections = vec![Section {
        heading: "投诉概况".into(),
        blocks: vec![Block::KeyValues(
            tables(s)[0]
                .rows
                .iter()
                .map(|r| (cell_text(&r[0]), cell_text(&r[1])))
                .collect(),
        )],
    }];
    sections[0].blocks.push(Block::Paragraph(format!(
        "赔偿金额合计 {}。",
        yuan(s.tally.compensation_fen)
    )));
    for table in tables(s).into_iter().skip(1) {
        let block = if table.rows.is_empty() {
            Block::Paragraph(table.empty.into())
        } else {
            // The PDF leaves out the 0/1 columns the workbook sums: its 状态 column says it.
            let shown: Vec<usize> = (0..table.headers.len())
                .filter(|&i| !FLAG_COLUMNS.contains(&table.headers[i]))
                .collect();
            let cut = |row: &Vec<Cell>| {
                shown
                    .iter()
                    .map(|&i| row.get(i).map(cell_text).unwrap_or_default())
                    .collect::<Vec<_>>()
            };
            let mut rows: Vec<Vec<String>> = table.rows.iter().map(cut).collect();
            if let Some(totals) = &table.totals {
                let mut t = cut(totals);
                if t.iter().skip(1).all(String::is_empty) && t.len() > 1 {
                    t[1] = format!("{} 项", table.rows.len());
                }
                rows.push(t);
            }
            Block::Table {
                header: shown
                    .iter()
                    .map(|&i| table.headers[i].to_string())
                    .collect(),
                rows,
            }
        };
        sections.push(Section {
            heading: table.heading.into(),
            blocks: vec![block],
        });
    }
    Document {
        title: format!("{}{}", org_name_prefix(org_name), title(s.period.cadence)),
        meta,
        sections,
        footer: Some(format!("{} · {}", org_name, title(s.period.cadence))),
    }
}

fn org_name_prefix(org_name: &str) -> String {
    if org_name.trim().is_empty() {
        String::new()
    } else {
        format!("{} ", org_name.trim())
    }
}

/// The summary as an XLSX workbook: one sheet per section, each with its totals row.
pub fn workbook(s: &Summary) -> Result<Vec<u8>, AppError> {
    let sheets: Vec<Sheet> = tables(s)
        .into_iter()
        .map(|t| Sheet {
            name: t.heading.into(),
            headers: t.headers.iter().map(|h| h.to_string()).collect(),
            rows: t.rows,
            totals: t.totals,
        })
        .collect();
    tripdesk_sheets::write_workbook(&sheets).map_err(|e| AppError::Internal(e.to_string()))
}

/// The file name of a summary download: `summary-month-2026-11-01.pdf`.
pub fn file_name(s: &Summary, extension: &str) -> String {
    format!(
        "summary-{}-{}.{extension}",
        s.period.cadence.as_str(),
        s.period.from
    )
}
