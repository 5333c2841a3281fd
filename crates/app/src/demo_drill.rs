//! The demo's typhoon drill (issue 15): 台风“海葵” over 莫干山 from today for three days, a
//! natural disaster of level 较大 marked as a drill — the homestay's guests staying there
//! and the travelers of the 莫干山 tour on the road are found from the demo's bookings. Run
//! by 赵敏 (leader) with 孙丽 (CS manager), 系统管理员 (technical support) and 吴刚
//! (logistics); the broadcast is done; some guests have answered safe by the link or by
//! SMS, one answered "2" (needs help: one urgent ticket in 孙丽's queue), one was reached by
//! phone, one call went unanswered, the rest have not answered yet; the first report to the
//! tourism authority is made, four checklist items are ticked, and the leader has entered
//! two of the drill's costs for its report.
//!
//! Everything goes through the use cases, in a fixed order over the people sorted by
//! customer id, so a demo seeded on the same day looks the same. The demo never messages its
//! fictitious travelers: its broadcast runs with every channel off, so each traveler gets a
//! call task, whatever the server's configuration.

use crate::auth::Credential;
use crate::emergency::{checkin_token, BroadcastRequest, DeclareIncident, NewIncidentCost};
use crate::{App, AppError, AppSettings, Principal};
use jiff::ToSpan;
use std::sync::Arc;
use tripdesk_domain::emergency::{
    CallOutcome, CallReason, IncidentKind, IncidentLevel, PersonStatus, Scope, TeamRole,
    WarningColour,
};
use tripdesk_store::PeopleFilter;

/// The drill's title (also how tests find it).
pub const DEMO_DRILL_TITLE: &str = "台风“海葵”影响莫干山";

impl App {
    /// The same app with no message channel: a broadcast makes call tasks only.
    fn without_channels(&self) -> App {
        let mut settings: AppSettings = (*self.settings).clone();
        settings.notify.sms = false;
        settings.notify.email = false;
        let mut quiet = self.clone();
        quiet.settings = Arc::new(settings);
        quiet
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
        let quiet = self.without_channels();
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
        quiet
            .broadcast(
                &leader,
                id,
                BroadcastRequest {
                    audience: Default::default(),
                    body: None,
                    ask_checkin: true,
                    base_url: "http://127.0.0.1:8080".into(),
                },
            )
            .await?;
        quiet
            .tick_incident_item(&tech, id, "systems_ready", true)
            .await?;

        // The answers, in customer id order. Of those with a phone: the first by the link,
        // the second by SMS "1", the third needs help by SMS "2", the fourth reached by
        // phone and safe, the fifth not reached by phone; then every other one by the link,
        // the rest silent. Those with no phone (children on a tour) are seen safe by the
        // guide, who tells the desk, every other one.
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
        let keys = self.vault()?;
        for (i, &customer) in with.iter().enumerate() {
            match i {
                1 | 2 => {
                    let text = if i == 1 {
                        "1"
                    } else {
                        "2 需要帮助，山路封了"
                    };
                    let mut tx = self.store.write().await?;
                    self.checkin_by_sms(&mut *tx, &[customer], text).await?;
                    tx.commit().await?;
                }
                3 => {
                    quiet
                        .record_incident_call(&agent, id, customer, CallOutcome::Reached)
                        .await?;
                    quiet
                        .record_incident_answer(&agent, id, customer, PersonStatus::Safe)
                        .await?;
                }
                4 => {
                    quiet
                        .record_incident_call(&agent, id, customer, CallOutcome::NoAnswer)
                        .await?;
                }
                i if i == 0 || i % 2 == 1 => {
                    quiet
                        .checkin_by_link(&checkin_token(keys, id, customer), PersonStatus::Safe)
                        .await?;
                }
                _ => {}
            }
        }
        for &customer in without.iter().step_by(2) {
            quiet
                .record_incident_answer(&agent, id, customer, PersonStatus::Safe)
                .await?;
        }
        quiet
            .tick_incident_item(&cs, id, "notify_customers", true)
            .await?;
        quiet
            .report_incident(
                &leader,
                id,
                "演练：已电话报告德清县文化和广电旅游体育局值班室，30 分钟后续报。",
            )
            .await?;
        for (what, amount_fen) in [
            ("演练用应急照明与备用发电机燃油", 86_000),
            ("为滞留客人准备饮用水和干粮", 42_050),
        ] {
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
        Ok(())
    }
}
