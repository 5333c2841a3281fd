//! Demo tickets: about 300 inquiries, complaints and feedback of every level and state over
//! the last 90 days, made by walking each through the real use cases with a clock set back
//! in time, so the timeline, handlers and tasks are what the product itself would record.

use crate::desk::{NewTicket, StepRequest};
use crate::{App, AppError, Principal};
use jiff::SignedDuration;
use std::collections::HashMap;
use std::sync::Arc;
use tripdesk_domain::clock::{Clock, ManualClock};
use tripdesk_domain::desk::{Channel, Compensation, CompensationKind, Level, Step, TicketKind};
use tripdesk_store::UserFilter;

struct Scenario {
    kind: TicketKind,
    area: &'static str,
    group: &'static str,
    subject: &'static str,
    description: &'static str,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        kind: TicketKind::Complaint,
        area: "guide",
        group: "guide_management",
        subject: "导游迟到一小时，行程被压缩",
        description: "早上集合导游迟到近一小时，下午的景点被临时取消，希望给个说法。",
    },
    Scenario {
        kind: TicketKind::Complaint,
        area: "guide",
        group: "guide_management",
        subject: "导游强制购物",
        description: "导游在行程中多次带团进购物店并暗示必须消费。",
    },
    Scenario {
        kind: TicketKind::Complaint,
        area: "route",
        group: "route_planning",
        subject: "行程变更未提前通知",
        description: "出发前一天才告知乌镇改为西塘，没有征求我们的意见。",
    },
    Scenario {
        kind: TicketKind::Complaint,
        area: "route",
        group: "route_planning",
        subject: "实际行程与合同不符",
        description: "合同写的是五星酒店，实际入住的是四星。",
    },
    Scenario {
        kind: TicketKind::Complaint,
        area: "logistics",
        group: "logistics",
        subject: "大巴空调损坏",
        description: "去黄山途中大巴空调坏了，车内非常闷热，老人身体不适。",
    },
    Scenario {
        kind: TicketKind::Complaint,
        area: "logistics",
        group: "logistics",
        subject: "接机车辆未按时到达",
        description: "航班落地后等了四十分钟接机车辆才到。",
    },
    Scenario {
        kind: TicketKind::Complaint,
        area: "housekeeping",
        group: "housekeeping",
        subject: "民宿房间卫生差",
        description: "入住云栖山舍，床单有污渍，卫生间有异味。",
    },
    Scenario {
        kind: TicketKind::Complaint,
        area: "housekeeping",
        group: "housekeeping",
        subject: "热水供应不足",
        description: "晚上九点以后没有热水，无法洗澡。",
    },
    Scenario {
        kind: TicketKind::Complaint,
        area: "food_beverage",
        group: "food_beverage",
        subject: "早餐品种太少",
        description: "民宿早餐只有白粥和馒头，与宣传不符。",
    },
    Scenario {
        kind: TicketKind::Complaint,
        area: "food_beverage",
        group: "food_beverage",
        subject: "菜品不新鲜",
        description: "团餐的鱼有异味，孩子吃后肚子不舒服。",
    },
    Scenario {
        kind: TicketKind::Inquiry,
        area: "route",
        group: "route_planning",
        subject: "暑期亲子游线路咨询",
        description: "两大一小，孩子六岁，想去海边，预算一万以内，有什么推荐？",
    },
    Scenario {
        kind: TicketKind::Inquiry,
        area: "route",
        group: "route_planning",
        subject: "日本签证材料咨询",
        description: "自由职业者办理日本单次旅游签证需要哪些材料？",
    },
    Scenario {
        kind: TicketKind::Inquiry,
        area: "housekeeping",
        group: "housekeeping",
        subject: "莫干山民宿家庭房咨询",
        description: "国庆期间是否还有可住四人的家庭房？可以带宠物吗？",
    },
    Scenario {
        kind: TicketKind::Inquiry,
        area: "logistics",
        group: "logistics",
        subject: "退款进度查询",
        description: "上个月取消的订单退款什么时候到账？",
    },
    Scenario {
        kind: TicketKind::Feedback,
        area: "guide",
        group: "guide_management",
        subject: "表扬导游小周",
        description: "导游周杰讲解细致，照顾老人非常周到，特此表扬。",
    },
    Scenario {
        kind: TicketKind::Feedback,
        area: "housekeeping",
        group: "housekeeping",
        subject: "建议增加儿童洗漱用品",
        description: "民宿环境很好，建议为儿童准备洗漱用品。",
    },
];

const NAMES: &[&str] = &[
    "张伟",
    "王秀英",
    "李强",
    "刘洋",
    "陈静",
    "杨帆",
    "黄磊",
    "赵丽",
    "吴昊",
    "周婷",
    "徐明",
    "孙悦",
    "马超",
    "朱琳",
    "胡军",
    "郭敏",
    "何晴",
    "高翔",
    "林峰",
    "罗娟",
    "梁宇",
    "宋佳",
    "郑浩",
    "谢芳",
    "韩雪",
    "唐杰",
    "冯婧",
    "于洋",
];

/// A small deterministic generator (the demo looks the same every time).
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

impl App {
    /// Adds `count` demo tickets spread over the last 90 days. Needs the demo staff.
    pub async fn seed_demo_tickets(&self, count: usize) -> Result<(), AppError> {
        let now = self.now();
        let mut people: HashMap<String, Principal> = HashMap::new();
        {
            let mut tx = self.store.read().await?;
            let users = tx
                .list_users(&UserFilter {
                    limit: 1000,
                    ..Default::default()
                })
                .await?;
            for u in users {
                people.insert(
                    u.username.clone(),
                    Principal::of(&u, crate::auth::Credential::Console),
                );
            }
        }
        let dept_ids: HashMap<String, uuid::Uuid> = {
            let mut tx = self.store.read().await?;
            tx.list_departments()
                .await?
                .into_iter()
                .map(|d| (d.code, d.id))
                .collect()
        };
        let who = |name: &str| people.get(name).ok_or(AppError::NotFound("demo user"));
        let handler_of = |group: &str| match group {
            "guide_management" => "zhou.jie",
            "route_planning" => "wang.qiang",
            "logistics" => "wu.gang",
            "housekeeping" => "zheng.hui",
            _ => "he.yun",
        };
        let agents = ["li.na", "chen.jing", "emma.liu"];
        let channels = [
            Channel::Phone,
            Channel::Phone,
            Channel::Email,
            Channel::WebForm,
            Channel::Chat,
            Channel::Social,
            Channel::OnSite,
        ];

        let clock = Arc::new(ManualClock::new(now));
        let app = App {
            clock: clock.clone(),
            ..self.clone()
        };
        let mut rng = Lcg(20261121);
        for i in 0..count {
            let sc = &SCENARIOS[rng.below(SCENARIOS.len() as u64) as usize];
            let age_mins = (rng.below(90 * 24 * 60) as i64).max(30);
            clock.set(now - SignedDuration::from_mins(age_mins));
            let level = match rng.below(10) {
                0 => Level::Urgent,
                1..=3 => Level::Important,
                _ => Level::General,
            };
            let agent = who(agents[i % agents.len()])?;
            let name_ix = rng.below(NAMES.len() as u64) as usize;
            let ticket = app
                .create_ticket(
                    agent,
                    NewTicket {
                        kind: sc.kind,
                        channel: channels[rng.below(channels.len() as u64) as usize],
                        level: Some(if sc.kind == TicketKind::Complaint {
                            level
                        } else {
                            Level::General
                        }),
                        subject: sc.subject.into(),
                        description: sc.description.into(),
                        customer_name: NAMES[name_ix].into(),
                        // One mobile per demo name: repeat customers find their record.
                        customer_phone: Some(format!("1391057{:04}", 2000 + name_ix)),
                        customer_email: None,
                        customer_id: None,
                        booking_ref: Some(format!("BK-2026-{:04}", 1000 + i)),
                        business_area: Some(sc.area.into()),
                        tags: vec![],
                    },
                )
                .await?;
            // Older tickets have gone further; about one in six stays where it is.
            let progress = if age_mins < 60 {
                rng.below(3)
            } else {
                (rng.below(12) + (age_mins / (24 * 60 * 10)) as u64).min(11)
            };
            if sc.kind != TicketKind::Complaint {
                if progress > 4 {
                    clock.advance(SignedDuration::from_mins(2 + rng.below(40) as i64));
                    app.apply_step(agent, ticket.ticket.id, Step::Close, StepRequest::default())
                        .await?;
                }
                continue;
            }
            let handler = who(handler_of(sc.group))?;
            let group_id = dept_ids.get(sc.group).copied();
            let follow_up = who(if i % 2 == 0 { "wang.fang" } else { "lin.tao" })?;
            let supervisor = who("zhao.min")?;
            let amount = [0, 10_000, 20_000, 30_000, 80_000][rng.below(5) as usize];
            let satisfaction = [5, 5, 4, 4, 3, 2, 1][rng.below(7) as usize];
            let plan: Vec<(Step, &Principal, StepRequest, i64)> = vec![
                (
                    Step::Triage,
                    agent,
                    StepRequest {
                        level: Some(level),
                        ..Default::default()
                    },
                    5,
                ),
                (
                    Step::Assign,
                    agent,
                    StepRequest {
                        group_id,
                        assignee_id: Some(handler.user_id),
                        ..Default::default()
                    },
                    10,
                ),
                (
                    Step::RecordContact,
                    handler,
                    StepRequest {
                        note: Some("已电话联系客户致歉".into()),
                        ..Default::default()
                    },
                    20 + rng.below(60) as i64,
                ),
                (
                    Step::StartInvestigation,
                    handler,
                    StepRequest::default(),
                    30,
                ),
                (
                    Step::ProposeSolution,
                    handler,
                    StepRequest {
                        compensation: Some(if amount == 0 {
                            Compensation {
                                kind: CompensationKind::Apology,
                                amount_fen: 0,
                            }
                        } else {
                            Compensation {
                                kind: if amount > 20_000 {
                                    CompensationKind::Refund
                                } else {
                                    CompensationKind::Voucher
                                },
                                amount_fen: amount,
                            }
                        }),
                        ..Default::default()
                    },
                    240,
                ),
                (
                    Step::ApproveCompensation,
                    supervisor,
                    StepRequest::default(),
                    60,
                ),
                (
                    Step::Resolve,
                    handler,
                    StepRequest {
                        note: Some("客户同意处理方案".into()),
                        ..Default::default()
                    },
                    120,
                ),
                (
                    Step::ReportResult,
                    handler,
                    StepRequest {
                        cause: Some("服务执行不到位".into()),
                        responsible_department_id: group_id,
                        ..Default::default()
                    },
                    300 + rng.below(1500) as i64,
                ),
                (
                    Step::ScheduleFollowUp,
                    agent,
                    StepRequest {
                        assignee_id: Some(follow_up.user_id),
                        ..Default::default()
                    },
                    30,
                ),
                (
                    Step::RecordFollowUp,
                    follow_up,
                    StepRequest {
                        satisfaction: Some(satisfaction),
                        overall_rating: Some(satisfaction.max(2)),
                        reason: (satisfaction <= 2).then(|| "对处理结果仍不满意".to_string()),
                        reopen: satisfaction == 1,
                        ..Default::default()
                    },
                    60 * 24 * 4,
                ),
                (Step::Close, supervisor, StepRequest::default(), 60),
            ];
            let mut taken = 0;
            for (step, actor, req, after_mins) in plan {
                if taken >= progress {
                    break;
                }
                if step == Step::ApproveCompensation
                    && amount <= crate::desk::DEFAULT_APPROVAL_THRESHOLD_FEN
                {
                    continue;
                }
                let at = clock.now() + SignedDuration::from_mins(after_mins);
                if at >= now {
                    break;
                }
                clock.set(at);
                let t = app.apply_step(actor, ticket.ticket.id, step, req).await?;
                taken += 1;
                if t.state == tripdesk_domain::desk::State::Reopened {
                    break;
                }
            }
        }
        Ok(())
    }
}
