//! The demo organisation `tripdesk demo` starts with: a travel agency and a homestay in
//! Hangzhou, their departments and staff in every role, and customers (sealed by the vault,
//! so seeding needs the keys). Later modules add their own data here.

pub use crate::demo_drill::DEMO_DRILL_TITLE;

use crate::auth::Credential;
use crate::customers::{ConsentInput, DocumentInput, Labeled, NewCustomer};
use crate::identity::{DepartmentInput, NewUser};
use crate::{App, AppError, Principal};
use tripdesk_domain::customer::ResidentId;
use tripdesk_domain::identity::Role;
use tripdesk_store::{BusinessUnit, Organization};
use uuid::Uuid;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "tripdesk-demo";

/// A login printed by `tripdesk demo`.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub username: &'static str,
    pub display_name: &'static str,
    pub what: &'static str,
}

struct Dept {
    code: &'static str,
    zh: &'static str,
    en: &'static str,
    homestay: bool,
}

const DEPARTMENTS: &[Dept] = &[
    Dept {
        code: "customer_service",
        zh: "客服部",
        en: "Customer Service",
        homestay: false,
    },
    Dept {
        code: "route_planning",
        zh: "线路策划部",
        en: "Route Planning",
        homestay: false,
    },
    Dept {
        code: "guide_management",
        zh: "导游管理部",
        en: "Guide Management",
        homestay: false,
    },
    Dept {
        code: "logistics",
        zh: "后勤保障部",
        en: "Logistics",
        homestay: false,
    },
    Dept {
        code: "follow_up",
        zh: "回访小组",
        en: "Follow-up Team",
        homestay: false,
    },
    Dept {
        code: "supervision",
        zh: "监督岗",
        en: "Supervision",
        homestay: false,
    },
    Dept {
        code: "housekeeping",
        zh: "客房部",
        en: "Housekeeping",
        homestay: true,
    },
    Dept {
        code: "food_beverage",
        zh: "餐饮部",
        en: "Food & Beverage",
        homestay: true,
    },
];

struct Staff {
    username: &'static str,
    name: &'static str,
    dept: &'static str,
    roles: &'static [Role],
    locale: &'static str,
    what: &'static str,
}

const STAFF: &[Staff] = &[
    Staff {
        username: "admin",
        name: "系统管理员",
        dept: "",
        roles: &[Role::Admin],
        locale: "zh-CN",
        what: "管理员 · administrator",
    },
    Staff {
        username: "zhao.min",
        name: "赵敏",
        dept: "supervision",
        roles: &[Role::Supervisor],
        locale: "zh-CN",
        what: "客服经理 · supervisor",
    },
    Staff {
        username: "sun.li",
        name: "孙丽",
        dept: "supervision",
        roles: &[Role::Supervisor],
        locale: "zh-CN",
        what: "监督岗 · supervisor",
    },
    Staff {
        username: "li.na",
        name: "李娜",
        dept: "customer_service",
        roles: &[Role::Agent],
        locale: "zh-CN",
        what: "客服专员 · agent",
    },
    Staff {
        username: "chen.jing",
        name: "陈静",
        dept: "customer_service",
        roles: &[Role::Agent],
        locale: "zh-CN",
        what: "客服专员 · agent",
    },
    Staff {
        username: "emma.liu",
        name: "刘艾玛 Emma",
        dept: "customer_service",
        roles: &[Role::Agent],
        locale: "en",
        what: "英语客服 · English-speaking agent",
    },
    Staff {
        username: "wang.qiang",
        name: "王强",
        dept: "route_planning",
        roles: &[Role::Handler],
        locale: "zh-CN",
        what: "线路策划 · handler",
    },
    Staff {
        username: "zhou.jie",
        name: "周杰",
        dept: "guide_management",
        roles: &[Role::Handler],
        locale: "zh-CN",
        what: "导游管理 · handler",
    },
    Staff {
        username: "wu.gang",
        name: "吴刚",
        dept: "logistics",
        roles: &[Role::Handler],
        locale: "zh-CN",
        what: "后勤保障 · handler",
    },
    Staff {
        username: "zheng.hui",
        name: "郑慧",
        dept: "housekeeping",
        roles: &[Role::Handler],
        locale: "zh-CN",
        what: "民宿客房 · handler",
    },
    Staff {
        username: "he.yun",
        name: "何芸",
        dept: "food_beverage",
        roles: &[Role::Handler],
        locale: "zh-CN",
        what: "民宿餐饮 · handler",
    },
    Staff {
        username: "wang.fang",
        name: "王芳",
        dept: "follow_up",
        roles: &[Role::FollowUp],
        locale: "zh-CN",
        what: "回访专员 · follow-up",
    },
    Staff {
        username: "lin.tao",
        name: "林涛",
        dept: "follow_up",
        roles: &[Role::FollowUp],
        locale: "zh-CN",
        what: "回访专员 · follow-up",
    },
];

/// A demo customer. ID numbers are built from region, birth date and sequence with their
/// check character computed, so they pass GB 11643 like real ones (they belong to nobody).
struct DemoCustomer {
    name: &'static str,
    phone: &'static str,
    /// 17 digits; the check character is appended.
    id_body: Option<&'static str>,
    email: Option<&'static str>,
    wechat: Option<&'static str>,
    other_document: Option<(&'static str, &'static str)>,
    language: &'static str,
    channel: &'static str,
    source: &'static str,
    diet: Option<&'static str>,
    allergies: Option<&'static str>,
    accessibility: Option<&'static str>,
    tags: &'static [&'static str],
    notes: Option<&'static str>,
    marketing: Option<bool>,
}

const CUSTOMERS: &[DemoCustomer] = &[
    DemoCustomer {
        name: "王建国",
        phone: "13905711234",
        id_body: Some("33010619680315031"),
        email: None,
        wechat: Some("wangjg_1968"),
        other_document: None,
        language: "zh-CN",
        channel: "phone",
        source: "phone",
        diet: Some("糖尿病饮食，少糖"),
        allergies: None,
        accessibility: None,
        tags: &["VIP", "回头客"],
        notes: Some("每年秋季带家人参加莫干山线路"),
        marketing: Some(true),
    },
    DemoCustomer {
        name: "李秀英",
        phone: "13606521188",
        id_body: Some("33010219550821042"),
        email: None,
        wechat: None,
        other_document: None,
        language: "zh-CN",
        channel: "phone",
        source: "walk_in",
        diet: None,
        allergies: Some("青霉素过敏"),
        accessibility: Some("需要轮椅通道，房间请安排一楼"),
        tags: &["老年团"],
        notes: None,
        marketing: None,
    },
    DemoCustomer {
        name: "陈思远",
        phone: "18621345678",
        id_body: Some("31010419900607213"),
        email: Some("chensiyuan@example.com"),
        wechat: Some("chen_siyuan90"),
        other_document: None,
        language: "zh-CN",
        channel: "wechat",
        source: "web",
        diet: None,
        allergies: None,
        accessibility: None,
        tags: &["商务"],
        notes: None,
        marketing: Some(true),
    },
    DemoCustomer {
        name: "刘芳",
        phone: "15013579246",
        id_body: Some("44030519871112326"),
        email: Some("liufang87@example.cn"),
        wechat: None,
        other_document: None,
        language: "zh-CN",
        channel: "email",
        source: "ota",
        diet: Some("素食"),
        allergies: Some("花生过敏"),
        accessibility: None,
        tags: &["亲子"],
        notes: Some("带两个孩子出行，需要加床"),
        marketing: Some(false),
    },
    DemoCustomer {
        name: "赵磊",
        phone: "13880012345",
        id_body: Some("51010719790429455"),
        email: None,
        wechat: None,
        other_document: Some(("passport", "E12345678")),
        language: "zh-CN",
        channel: "phone",
        source: "referral",
        diet: None,
        allergies: None,
        accessibility: None,
        tags: &["出境游"],
        notes: None,
        marketing: None,
    },
    DemoCustomer {
        name: "孙悦",
        phone: "17712345678",
        id_body: Some("32010219960214064"),
        email: Some("sunyue@example.com"),
        wechat: None,
        other_document: None,
        language: "zh-CN",
        channel: "sms",
        source: "web",
        diet: None,
        allergies: None,
        accessibility: None,
        tags: &[],
        notes: None,
        marketing: Some(false),
    },
    DemoCustomer {
        name: "周晓明",
        phone: "18971234567",
        id_body: Some("42010620010930171"),
        email: None,
        wechat: None,
        other_document: None,
        language: "zh-CN",
        channel: "phone",
        source: "phone",
        diet: None,
        allergies: None,
        accessibility: None,
        tags: &["学生"],
        notes: None,
        marketing: None,
    },
    DemoCustomer {
        name: "林美玲",
        phone: "+886 912 345 678",
        // Residence permit for Taiwan residents (830000).
        id_body: Some("83000019830718002"),
        email: None,
        wechat: None,
        other_document: Some(("taiwan_permit", "12345678")),
        language: "zh-TW",
        channel: "phone",
        source: "ota",
        diet: None,
        allergies: Some("海鲜过敏"),
        accessibility: None,
        tags: &["港澳台"],
        notes: None,
        marketing: None,
    },
    DemoCustomer {
        name: "Emma Wilson",
        phone: "+44 7911 123456",
        // Foreign permanent-resident ID card, 2023 format (first digit 9).
        id_body: Some("93182619850302002"),
        email: Some("emma.wilson@example.co.uk"),
        wechat: None,
        other_document: None,
        language: "en",
        channel: "email",
        source: "web",
        diet: Some("gluten-free"),
        allergies: None,
        accessibility: None,
        tags: &["外籍"],
        notes: None,
        marketing: Some(true),
    },
    DemoCustomer {
        // Entered again at the front desk without her ID: shares 李秀英's phone, so the
        // customer page offers to merge the two.
        name: "李秀英",
        phone: "136 0652 1188",
        id_body: None,
        email: None,
        wechat: None,
        other_document: None,
        language: "zh-CN",
        channel: "phone",
        source: "walk_in",
        diet: None,
        allergies: None,
        accessibility: None,
        tags: &["散客"],
        notes: Some("前台登记，未出示证件"),
        marketing: None,
    },
];

impl App {
    /// Seeds the demo customers through the use cases, so they are validated, sealed and
    /// audited like any others; entered by the agent `li.na`.
    async fn seed_demo_customers(&self) -> Result<(), AppError> {
        let agent = {
            let mut tx = self.store.read().await?;
            tx.get_user_by_username("li.na")
                .await?
                .ok_or(AppError::NotFound("demo agent"))?
        };
        let principal = Principal::of(&agent, Credential::Console);
        for c in CUSTOMERS {
            let mut documents = Vec::new();
            if let Some(body) = c.id_body {
                documents.push(DocumentInput {
                    field: "resident_id".into(),
                    kind: "resident_id".into(),
                    number: ResidentId::complete(body).ok_or_else(|| {
                        AppError::Internal("demo ID body is not 17 digits".into())
                    })?,
                });
            }
            if let Some((kind, number)) = c.other_document {
                documents.push(DocumentInput {
                    field: "documents[0].number".into(),
                    kind: kind.into(),
                    number: number.into(),
                });
            }
            self.create_customer(
                &principal,
                NewCustomer {
                    name: c.name.into(),
                    phones: vec![Labeled::new("phone", c.phone)],
                    emails: c
                        .email
                        .map(|e| Labeled::new("email", e))
                        .into_iter()
                        .collect(),
                    wechat: c.wechat.map(|w| Labeled::new("wechat", w)),
                    documents,
                    preferred_language: Some(c.language.into()),
                    preferred_channel: Some(c.channel.into()),
                    source_channel: Some(c.source.into()),
                    diet: c.diet.map(Into::into),
                    allergies: c.allergies.map(Into::into),
                    accessibility: c.accessibility.map(Into::into),
                    tags: c.tags.iter().map(|t| t.to_string()).collect(),
                    notes: c.notes.map(Into::into),
                    consents: c
                        .marketing
                        .map(|granted| ConsentInput {
                            purpose: "marketing".into(),
                            granted,
                            channel: "web_form".into(),
                            text_version: "marketing-2026-01".into(),
                        })
                        .into_iter()
                        .collect(),
                    ..Default::default()
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Fills an empty store with the demo organisation. Does nothing (and returns false) when
    /// an organisation already exists, so `tripdesk demo` can be run again on the same data.
    pub async fn seed_demo_organisation(&self) -> Result<bool, AppError> {
        self.ensure_builtin_calendars().await?;
        let now = self.now();
        {
            let mut tx = self.store.write().await?;
            if tx.get_organization().await?.is_some() {
                return Ok(false);
            }
            tx.insert_organization(&Organization {
                id: Uuid::now_v7(),
                name: "山海国际旅行社".into(),
                timezone: "Asia/Shanghai".into(),
                created_at: now,
            })
            .await?;
            tx.commit().await?;
        }
        let agency = BusinessUnit {
            id: Uuid::now_v7(),
            kind: "agency".into(),
            name: "山海国际旅行社（杭州总部）".into(),
            created_at: now,
        };
        let homestay = BusinessUnit {
            id: Uuid::now_v7(),
            kind: "homestay".into(),
            name: "云栖山舍民宿（莫干山）".into(),
            created_at: now,
        };
        let mut tx = self.store.write().await?;
        tx.insert_business_unit(&agency).await?;
        tx.insert_business_unit(&homestay).await?;
        tx.commit().await?;

        let console = Self::console_principal();
        let mut dept_ids = Vec::new();
        for d in DEPARTMENTS {
            let dept = self
                .create_department(
                    &console,
                    DepartmentInput {
                        code: d.code.into(),
                        name_zh: d.zh.into(),
                        name_en: d.en.into(),
                        business_unit_id: Some(if d.homestay { homestay.id } else { agency.id }),
                    },
                )
                .await?;
            dept_ids.push((d.code, dept.id));
        }
        for s in STAFF {
            let department_id = dept_ids
                .iter()
                .find(|(c, _)| *c == s.dept)
                .map(|(_, id)| *id);
            self.create_user(
                &console,
                NewUser {
                    username: s.username.into(),
                    display_name: s.name.into(),
                    email: Some(format!("{}@shanhai-travel.example", s.username)),
                    password: DEMO_PASSWORD.into(),
                    department_id,
                    roles: s.roles.to_vec(),
                    locale: Some(s.locale.into()),
                },
            )
            .await?;
        }
        self.seed_demo_customers().await?;
        self.install_default_templates().await?;
        self.install_default_reply_templates().await?;
        self.seed_demo_routing_rules(&dept_ids).await?;
        Ok(true)
    }

    /// The whole demo: the organisation and staff, then 300 tickets, then the catalog and
    /// about 1,000 bookings (`demo_bookings`), then a typhoon drill over them (`demo_drill`),
    /// then three web chats (`chat::demo`), then a day of calls on the hotline (`phone::demo`),
    /// then last month's staff assessment (`demo_assessment`).
    pub async fn seed_demo(&self) -> Result<bool, AppError> {
        if !self.seed_demo_organisation().await? {
            return Ok(false);
        }
        self.seed_demo_tickets(300).await?;
        self.seed_demo_bookings().await?;
        self.seed_demo_drill().await?;
        self.seed_demo_chats().await?;
        self.seed_demo_calls().await?;
        self.seed_demo_assessment().await?;
        // 120 days of the booking system's heartbeat with three outages (95 min 20 days
        // ago, 4 h 50 days ago, 25 min 3 days ago), for the uptime figure's trend.
        self.seed_demo_heartbeats(
            120,
            &[
                (60 * 24 * 20, 95),
                (60 * 24 * 50 + 300, 240),
                (60 * 24 * 3, 25),
            ],
        )
        .await?;
        // The figures the demo agency publishes on its commitments page.
        let mut tx = self.store.write().await?;
        let public = [
            "answer_rate",
            "booking_confirmation",
            "satisfaction",
            "uptime",
        ];
        tx.set_public_kpis(&public.map(String::from), self.now())
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The logins `tripdesk demo` prints.
    pub fn demo_logins() -> Vec<DemoLogin> {
        STAFF
            .iter()
            .map(|s| DemoLogin {
                username: s.username,
                display_name: s.name,
                what: s.what,
            })
            .collect()
    }
}
