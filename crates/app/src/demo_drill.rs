//! The demo's typhoon drill (issue 15): 台风“海葵” over 莫干山 from today for three days, a
//! natural disaster of level 较大 marked as a drill — the homestay's guests staying there
//! and the travelers of the 莫干山 tour on the road are found from the demo's bookings. Run
//! by 赵敏 (leader) with 孙丽 (CS manager), 系统管理员 (technical support) and 吴刚
//! (logistics); the broadcast is texted; most guests have answered safe by the link or by
//! SMS, one answered "2" (needs help: one urgent ticket in 孙丽's queue, who called them
//! back), one is silent (on days when nine in ten are accounted for without them) and one
//! child's guide did not answer the phone; the first report to the tourism authority is made
//! and updated once, four checklist items are ticked, and the leader has entered
//! two of the drill's costs for its report.
//!
//! Everything goes through the use cases, in a fixed order over the people sorted by
//! customer id, so a demo seeded on the same day looks the same. The drill ran in the last
//! 48 minutes: a clock of its own is set before each step (as the demo's tickets are
//! backdated), so its report and the drill records show real times to the first message,
//! to 90 % delivered and to 90 % accounted for.
//!
//! The demo never messages its fictitious travelers: its broadcast runs with SMS on and email
//! off, whatever the server's configuration, and its texts are then recorded through the
//! outbox's own store calls as handed to the provider a few seconds apart — before
//! `tripdesk demo` starts serving, so no worker and no provider ever sees them.

use crate::auth::Credential;
use crate::emergency::{
    checkin_token, BroadcastRequest, DeclareIncident, NewIncidentCost, BROADCAST_EVENT,
};
use crate::{App, AppError, AppSettings, Principal};
use jiff::{SignedDuration, Timestamp, ToSpan};
use std::sync::Arc;
use tripdesk_domain::clock::ManualClock;
use tripdesk_domain::emergency::{
    CallOutcome, CallReason, IncidentKind, IncidentLevel, PersonStatus, Scope, TeamRole,
    WarningColour,
};
use tripdesk_domain::notify::DeliveryChannel;
use tripdesk_store::{AttemptOutcome, ClaimRequest, FinishedAttempt, PeopleFilter};
use uuid::Uuid;

/// The drill's title (also how tests find it).
pub const DEMO_DRILL_TITLE: &str = "台风“海葵”影响莫干山";

impl App {
    /// The same app on `clock`, with SMS on and email off: a broadcast texts those with a
    /// mobile and makes call tasks for the rest, whatever the server's configuration.
    fn drill_app(&self, clock: Arc<ManualClock>) -> App {
        let mut settings: AppSettings = (*self.settings).clone();
        settings.notify.sms = true;
        settings.notify.email = false;
        App {
            settings: Arc::new(settings),
            clock,
            ..self.clone()
        }
    }

    /// Records the drill's broadcast texts as handed to the provider from `at` on, a few
    /// seconds apart, through the outbox's own store calls (claim, then the attempt's
    /// outcome and its hook, as a worker does). Texts of anything else are handed back
    /// untouched.
    async fn deliver_drill_texts(&self, incident: Uuid, at: Timestamp) -> Result<(), AppError> {
        const WORKER: &str = "demo-drill";
        let mut tx = self.store.write().await?;
        let claimed = tx
            .claim_due(&ClaimRequest {
                channel: DeliveryChannel::Sms.as_str().into(),
                worker: WORKER.into(),
                now: at,
                lease_until: at + SignedDuration::from_mins(10),
                max: 10_000,
            })
            .await?
            .messages;
        let ours = Some(incident.to_string());
        let (ours, others): (Vec<_>, Vec<_>) = claimed
            .into_iter()
            .partition(|m| m.related_id == ours && m.event.as_deref() == Some(BROADCAST_EVENT));
        let others: Vec<_> = others.iter().map(|m| m.id).collect();
        tx.release_claims(WORKER, &others, at).await?;
        for (i, m) in ours.iter().enumerate() {
            let finished_at = at + SignedDuration::from_secs(6 + 3 * i as i64);
            let report = FinishedAttempt {
                message_id: m.id,
                worker: WORKER.into(),
                started_at: finished_at - SignedDuration::from_secs(1),
                finished_at,
                outcome: AttemptOutcome::Sent {
                    receipt: format!("demo-{}", i + 1),
                },
            };
            if tx.finish_attempt(&report).await? {
                self.message_delivered(&mut *tx, m).await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Adds the typhoon drill (see the module comment). Needs the demo's staff and bookings.
    pub(crate) async fn seed_demo_drill(&self) -> Result<(), AppError> {
        let staff = |name: &'static str| async move {
            let mut tx = self.store.read().await?;
            let user = tx
                .get_user_by_username(name)
                .await?
                .ok_or(AppError::NotFound("demo user"))?;
            Ok::<_, AppError>(Principal::of(&user, Credential::Console))
        };
        let (leader, cs, tech, logistics, agent) = (
            staff("zhao.min").await?,
            staff("sun.li").await?,
            staff("admin").await?,
            staff("wu.gang").await?,
            staff("li.na").await?,
        );
        // The drill's own clock: declared 48 minutes ago, moved on before each step.
        let start = self.now() - SignedDuration::from_mins(48);
        let clock = Arc::new(ManualClock::new(start));
        let at = |mins: i64, secs: i64| {
            clock.set(start + SignedDuration::from_mins(mins) + SignedDuration::from_secs(secs))
        };
        let quiet = self.drill_app(clock.clone());
        let today = self.today();
        let to = today
            .checked_add(2.days())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let declared = quiet
            .declare_incident(
                &leader,
                DeclareIncident {
                    kind: IncidentKind::NaturalDisaster,
                    level: IncidentLevel::Large,
                    title: DEMO_DRILL_TITLE.into(),
                    description: "浙江省气象台发布台风橙色预警：台风“海葵”预计今夜起影响湖州德清，\
                        莫干山区有暴雨和 9 级以上大风，部分山路可能封闭。演练目标：30 分钟内\
                        联系到所有在住客人与在途游客，确认平安，安排需要帮助的客人。"
                        .into(),
                    warning_colour: Some(WarningColour::Orange),
                    scope: Scope {
                        regions: vec!["莫干山".into()],
                        from: today,
                        to,
                        ..Scope::default()
                    },
                    drill: true,
                    no_answer_minutes: Some(60),
                    ticket_id: None,
                },
            )
            .await?;
        let id = declared.incident.id;
        at(2, 0);
        quiet
            .assign_incident_team(
                &leader,
                id,
                &[
                    (TeamRole::Leader, Some(leader.user_id)),
                    (TeamRole::CsManager, Some(cs.user_id)),
                    (TeamRole::TechSupport, Some(tech.user_id)),
                    (TeamRole::Logistics, Some(logistics.user_id)),
                ],
            )
            .await?;
        quiet
            .tick_incident_item(&leader, id, "assign_team", true)
            .await?;
        quiet
            .tick_incident_item(&leader, id, "monitor_warn", true)
            .await?;
        at(4, 0);
        quiet
            .broadcast(
                &leader,
                id,
                BroadcastRequest {
                    audience: Default::default(),
                    body: None,
                    body_en: None,
                    ask_checkin: true,
                    base_url: "http://127.0.0.1:8080".into(),
                },
            )
            .await?;

        // The answers, in customer id order. Of those with a phone: the first by the link,
        // the second by SMS "1", the third needs help by SMS "2" (the CS manager calls them
        // back), the fifth silent, the others by the link over a quarter of an hour. Those
        // with no phone (children on a tour) are seen safe by the guide, who tells the desk,
        // all but the first, whose guide's phone does not answer.
        let no_phone: Vec<_> = quiet
            .incident_board(&leader, id)
            .await?
            .calls
            .into_iter()
            .filter(|k| k.reason == CallReason::NoContact)
            .map(|k| k.customer_id)
            .collect();
        let people = quiet
            .incident_people(&leader, id, PeopleFilter::default(), 200, 0)
            .await?
            .items;
        let (without, with): (Vec<_>, Vec<_>) = people
            .iter()
            .map(|p| p.customer_id)
            .partition(|c| no_phone.contains(c));
        quiet
            .deliver_drill_texts(id, start + SignedDuration::from_mins(4))
            .await?;
        at(6, 0);
        quiet
            .tick_incident_item(&tech, id, "systems_ready", true)
            .await?;
        let keys = self.vault()?;
        // The texts reach phones from 4:06 on; answers come in from 5:30 over a quarter of
        // an hour.
        let gap = (900 / with.len().max(1) as i64).clamp(5, 60);
        // The fifth stays silent only when nine in ten are still accounted for without them
        // (how many travel on the demo's dates differs from day to day; the drill's report
        // shows a real time to 90 % accounted for every day).
        let unaccounted = 1 + usize::from(!without.is_empty());
        let one_silent = (people.len() - unaccounted.min(people.len())) * 10 >= people.len() * 9;
        for (i, &customer) in with.iter().enumerate() {
            at(5, 30 + gap * i as i64);
            match i {
                1 | 2 => {
                    let text = if i == 1 {
                        "1"
                    } else {
                        "2 需要帮助，山路封了"
                    };
                    let mut tx = self.store.write().await?;
                    quiet.checkin_by_sms(&mut *tx, &[customer], text).await?;
                    tx.commit().await?;
                    if i == 2 {
                        at(9, 0);
                        quiet
                            .record_incident_call(&cs, id, customer, CallOutcome::Reached)
                            .await?;
                    }
                }
                4 if one_silent => {}
                _ => {
                    quiet
                        .checkin_by_link(&checkin_token(keys, id, customer), PersonStatus::Safe)
                        .await?;
                }
            }
        }
        for (i, &customer) in without.iter().enumerate() {
            at(12, 10 * i as i64);
            if i == 0 {
                quiet
                    .record_incident_call(&agent, id, customer, CallOutcome::NoAnswer)
                    .await?;
            } else {
                quiet
                    .record_incident_answer(&agent, id, customer, PersonStatus::Safe)
                    .await?;
            }
        }
        at(26, 0);
        quiet
            .tick_incident_item(&cs, id, "notify_customers", true)
            .await?;
        at(31, 0);
        quiet
            .report_incident(
                &leader,
                id,
                "演练：已电话报告德清县文化和广电旅游体育局值班室，30 分钟后续报。",
            )
            .await?;
        for (minute, what, amount_fen) in [
            (40, "演练用应急照明与备用发电机燃油", 86_000),
            (44, "为滞留客人准备饮用水和干粮", 42_050),
        ] {
            at(minute, 0);
            quiet
                .add_incident_cost(
                    &leader,
                    id,
                    NewIncidentCost {
                        what: what.into(),
                        amount_fen,
                    },
                )
                .await?;
        }
        at(50, 0);
        quiet
            .report_incident_update(
                &leader,
                id,
                "演练续报：客人均已联系，备用电源运行正常，暂无人员受伤。",
            )
            .await?;
        Ok(())
    }
}
