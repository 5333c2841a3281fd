//! The demo's staff assessment: last month's cycle with customers' survey answers on the
//! complaints of the demo desk, supervisor, peer and self ratings of every assessed member
//! of staff, trainings, a reward and a correction, then closed; and this month opened.

use crate::assessment::{ActionInput, RatingInput, TrainingInput};
use crate::auth::Credential;
use crate::{App, AppError, Principal};
use jiff::{SignedDuration, Span, Timestamp};
use sha2::{Digest, Sha256};
use tripdesk_domain::assessment::{ActionKind, RaterKind, Subject};
use tripdesk_domain::desk::TicketKind;
use tripdesk_store::{Survey, SurveyAnswers, TicketFilter, User, UserFilter};
use uuid::Uuid;

/// The supervisor's marks per assessed member of staff (satisfaction, response time,
/// problem solving, product knowledge, communication) and a remark.
const SUPERVISOR: &[(&str, [u8; 5], &str)] = &[
    ("li.na", [5, 5, 4, 4, 5], "响应及时，投诉安抚到位"),
    ("chen.jing", [4, 3, 4, 4, 4], "高峰期首次响应偏慢，需加强"),
    ("emma.liu", [4, 4, 3, 3, 5], "英语服务出色，产品知识待补强"),
    ("wang.qiang", [4, 4, 5, 5, 3], "行程问题调查细致"),
    ("zhou.jie", [3, 3, 3, 4, 3], "导游投诉跟进不够及时"),
    ("wu.gang", [4, 5, 4, 3, 4], "台风演练中后勤保障有力"),
    ("zheng.hui", [5, 4, 4, 4, 4], "客房问题当天解决"),
    ("he.yun", [3, 4, 3, 3, 4], "餐饮投诉整改方案不够具体"),
    ("wang.fang", [5, 5, 4, 4, 5], "回访记录完整规范"),
    ("lin.tao", [4, 4, 4, 3, 4], "回访及时"),
];

/// Who rates whom as a peer (rater, ratee, marks).
const PEERS: &[(&str, &str, [u8; 5])] = &[
    ("chen.jing", "li.na", [5, 4, 5, 4, 5]),
    ("emma.liu", "li.na", [5, 5, 4, 4, 5]),
    ("li.na", "chen.jing", [4, 4, 4, 4, 4]),
    ("li.na", "emma.liu", [4, 4, 3, 4, 5]),
    ("zhou.jie", "wang.qiang", [4, 4, 5, 5, 4]),
    ("wang.qiang", "zhou.jie", [3, 3, 4, 4, 3]),
    ("zheng.hui", "he.yun", [3, 4, 3, 4, 4]),
    ("he.yun", "zheng.hui", [5, 4, 4, 4, 5]),
    ("lin.tao", "wang.fang", [5, 5, 4, 5, 5]),
    ("wang.fang", "lin.tao", [4, 4, 4, 4, 4]),
    ("wu.gang", "zhou.jie", [3, 4, 3, 4, 3]),
];

/// Trainings of the month (who, what, day of the month, hours).
const TRAININGS: &[(&str, &str, i8, f64)] = &[
    ("li.na", "投诉处理与情绪安抚", 8, 2.0),
    ("chen.jing", "投诉处理与情绪安抚", 8, 2.0),
    ("emma.liu", "投诉处理与情绪安抚", 8, 2.0),
    ("chen.jing", "新线路产品知识：千岛湖三日游", 15, 1.5),
    ("emma.liu", "新线路产品知识：千岛湖三日游", 15, 1.5),
    ("zhou.jie", "导游服务规范与质量监督", 20, 3.0),
    ("he.yun", "食品安全与过敏原管理", 22, 2.5),
    ("wang.fang", "客户信息保密与 PIPL", 26, 1.0),
    ("lin.tao", "客户信息保密与 PIPL", 26, 1.0),
];

/// Satisfaction (1–5) of the demo surveys, in turn.
const SURVEY_MARKS: &[u8] = &[5, 4, 5, 3, 4, 5, 2, 4, 5, 4, 3, 5, 4, 4, 5, 1, 4, 5];

impl App {
    async fn demo_principal(&self, username: &str) -> Result<(Principal, User), AppError> {
        let mut tx = self.store.read().await?;
        let user = tx
            .get_user_by_username(username)
            .await?
            .ok_or(AppError::NotFound("demo user"))?;
        Ok((Principal::of(&user, Credential::Console), user))
    }

    /// Adds the demo's assessment (see the module). Needs the demo's staff and tickets.
    pub(crate) async fn seed_demo_assessment(&self) -> Result<(), AppError> {
        let today = self.today();
        let this_month = today.first_of_month();
        let last = this_month
            .checked_sub(Span::new().months(1))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let month = format!("{:04}-{:02}", last.year(), last.month());
        let (boss, _) = self.demo_principal("zhao.min").await?;
        self.open_assessment(&boss, &month).await?;
        self.seed_demo_surveys(last).await?;
        for (username, marks, remark) in SUPERVISOR {
            let (_, ratee) = self.demo_principal(username).await?;
            self.rate_staff(
                &boss,
                &month,
                &RatingInput {
                    ratee_id: ratee.id,
                    kind: RaterKind::Supervisor,
                    marks: marks.map(Some),
                    comment: Some((*remark).into()),
                },
            )
            .await?;
            // Everyone rates themselves a little above the supervisor, as people do.
            let (me, _) = self.demo_principal(username).await?;
            self.rate_staff(
                &me,
                &month,
                &RatingInput {
                    ratee_id: ratee.id,
                    kind: RaterKind::SelfRating,
                    marks: marks.map(|m| Some((m + 1).min(5))),
                    comment: None,
                },
            )
            .await?;
        }
        for (rater, ratee, marks) in PEERS {
            let (p, _) = self.demo_principal(rater).await?;
            let (_, ratee) = self.demo_principal(ratee).await?;
            self.rate_staff(
                &p,
                &month,
                &RatingInput {
                    ratee_id: ratee.id,
                    kind: RaterKind::Peer,
                    marks: marks.map(Some),
                    comment: None,
                },
            )
            .await?;
        }
        for (username, title, day, hours) in TRAININGS {
            let (_, u) = self.demo_principal(username).await?;
            self.record_training(
                &boss,
                &TrainingInput {
                    user_id: u.id,
                    title: (*title).into(),
                    on_date: last
                        .with()
                        .day(*day)
                        .build()
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                    hours_tenths: (hours * 10.0).round() as i64,
                },
            )
            .await?;
        }
        let (_, star) = self.demo_principal("li.na").await?;
        self.record_assessment_action(
            &boss,
            &month,
            &ActionInput {
                subject: Subject::Agent,
                subject_id: star.id,
                kind: ActionKind::Reward,
                note: "月度服务之星：客户满意度与响应时间双第一，奖励 500 元".into(),
            },
        )
        .await?;
        let (_, he_yun) = self.demo_principal("he.yun").await?;
        if let Some(dept) = he_yun.department_id {
            self.record_assessment_action(
                &boss,
                &month,
                &ActionInput {
                    subject: Subject::Department,
                    subject_id: dept,
                    kind: ActionKind::Correction,
                    note: "餐饮投诉整改：一周内提交过敏原告知流程并组织全员培训".into(),
                },
            )
            .await?;
        }
        self.close_assessment(&boss, &month).await?;
        // This month is open for ratings.
        let current = format!("{:04}-{:02}", today.year(), today.month());
        self.open_assessment(&boss, &current).await?;
        Ok(())
    }

    /// Answered follow-up surveys on the demo's complaints, dated in `month` (its first day):
    /// the customers' ratings of the agents who handled them.
    async fn seed_demo_surveys(&self, month: jiff::civil::Date) -> Result<(), AppError> {
        let mut tx = self.store.write().await?;
        let follow_up = tx
            .list_users(&UserFilter {
                limit: 1000,
                ..Default::default()
            })
            .await?
            .into_iter()
            .find(|u| u.username == "wang.fang")
            .ok_or(AppError::NotFound("demo user"))?;
        let complaints = tx
            .list_tickets(&TicketFilter {
                kind: Some(TicketKind::Complaint),
                limit: SURVEY_MARKS.len() as u32,
                ..Default::default()
            })
            .await?;
        let start: Timestamp = month
            .to_zoned(tripdesk_domain::calendar::china_time_zone())
            .map_err(|e| AppError::Internal(e.to_string()))?
            .timestamp();
        for (i, (ticket, mark)) in complaints.iter().zip(SURVEY_MARKS).enumerate() {
            let at = start + SignedDuration::from_hours(10 + 37 * i as i64);
            let token = Uuid::now_v7().to_string();
            let survey = Survey {
                id: Uuid::now_v7(),
                ticket_id: ticket.id,
                token_hash: hex(&Sha256::digest(token.as_bytes())),
                agent_id: follow_up.id,
                created_at: at - SignedDuration::from_hours(20),
                expires_at: at + SignedDuration::from_hours(24 * 14),
                emailed: false,
                used_at: None,
                answers: None,
            };
            tx.insert_survey(&survey).await?;
            let answers = SurveyAnswers {
                satisfaction: *mark,
                overall_rating: (*mark).max(3),
                suggestions: (*mark <= 3).then(|| "希望处理速度能再快一些".to_string()),
                reason: (*mark <= 2).then(|| "导游态度差，补偿方案也不合理".to_string()),
            };
            tx.use_survey(survey.id, at, &answers).await?;
            self.classify_survey(
                &mut *tx,
                survey.id,
                ticket.id,
                answers.suggestions.as_deref(),
                answers.reason.as_deref(),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
