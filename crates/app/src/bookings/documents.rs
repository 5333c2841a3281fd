//! Pre-trip documents of a booking (issue 14 item 8): the departure notice (出团通知书) with
//! the itinerary, the meeting time and place highlighted, the travelers, hotel information,
//! destination tips, emergency contacts and the contract's cancellation terms. Built from the
//! booking as it stands, so a changed booking gives a changed document; rendered to PDF by
//! `tripdesk_pdf` (the web layer renders, off the async threads).

use crate::{App, AppError, Principal};
use tripdesk_domain::bookings::{BookingState, PolicyTerms};
use tripdesk_domain::catalog::yuan;
use tripdesk_domain::identity::Permission;
use tripdesk_pdf::{Block, Document, Section};
use tripdesk_store::{Booking, LineItem};

/// The agency's 24-hour emergency line printed on every notice (seed 000's emergency plan).
pub const EMERGENCY_HOTLINE: &str = "400-820-1234（24 小时）";

fn category_zh(c: tripdesk_domain::catalog::TravelerCategory) -> &'static str {
    use tripdesk_domain::catalog::TravelerCategory::*;
    match c {
        Adult => "成人",
        Child => "儿童",
        Senior => "长者",
    }
}

impl App {
    /// The departure notice of a booking, as a document to render (needs `view_bookings`).
    /// Refused for a booking that was cancelled or expired: there is no trip to notify of.
    pub async fn departure_notice(
        &self,
        principal: &Principal,
        id: uuid::Uuid,
    ) -> Result<Document, AppError> {
        principal.require(Permission::ViewBookings)?;
        let mut tx = self.store.read().await?;
        let booking: Booking = tx
            .get_booking(id)
            .await?
            .ok_or(AppError::NotFound("booking"))?;
        if !booking.state.holds_inventory() {
            return Err(AppError::Conflict {
                code: "booking.closed",
                message: format!("a {} booking has no departure notice", booking.state),
                field: None,
            });
        }
        let mut sections = Vec::new();
        let mut travelers = Vec::new();
        for t in &booking.travelers {
            let name = tx
                .get_customer(t.customer_id)
                .await?
                .filter(|c| c.erased_at.is_none())
                .map(|c| c.name)
                .unwrap_or_else(|| "（已删除）".into());
            travelers.push(format!("{name}（{}）", category_zh(t.category)));
        }
        if travelers.is_empty() {
            if let Some(c) = tx.get_customer(booking.customer_id).await? {
                travelers.push(c.name);
            }
        }
        for line in &booking.lines {
            match &line.item {
                LineItem::Seats {
                    departure_id,
                    party,
                } => {
                    let Some(d) = tx.get_departure(*departure_id).await? else {
                        continue;
                    };
                    let Some(p) = tx.get_package(d.departure.package_id).await? else {
                        continue;
                    };
                    let (dep, pkg) = (d.departure, p.package);
                    let blocks = vec![
                        Block::Highlight {
                            label: "集合时间".into(),
                            value: format!(
                                "{} {}",
                                dep.date,
                                if dep.meeting_time.is_empty() {
                                    "（另行通知）"
                                } else {
                                    &dep.meeting_time
                                }
                            ),
                        },
                        Block::Highlight {
                            label: "集合地点".into(),
                            value: if dep.meeting_point.is_empty() {
                                "（另行通知）".into()
                            } else {
                                dep.meeting_point.clone()
                            },
                        },
                        Block::KeyValues(vec![
                            ("线路".into(), pkg.name.clone()),
                            ("出发日期".into(), dep.date.to_string()),
                            ("返回日期".into(), dep.return_date(pkg.days()).to_string()),
                            (
                                "人数".into(),
                                format!(
                                    "成人 {}，儿童 {}，长者 {}",
                                    party.adults, party.children, party.seniors
                                ),
                            ),
                            ("住宿标准".into(), pkg.accommodation.clone()),
                            ("交通".into(), pkg.transport.clone()),
                            ("用餐".into(), pkg.meals.clone()),
                        ]),
                    ];
                    sections.push(Section {
                        heading: format!("出团信息：{}", pkg.name),
                        blocks,
                    });
                    sections.push(Section {
                        heading: "行程安排".into(),
                        blocks: pkg
                            .itinerary
                            .iter()
                            .map(|day| {
                                Block::Paragraph(format!(
                                    "第 {} 天　{}\n{}",
                                    day.day, day.title, day.description
                                ))
                            })
                            .collect(),
                    });
                    let mut included = vec![Block::Bullets(
                        pkg.inclusions.iter().map(|s| format!("含：{s}")).collect(),
                    )];
                    if !pkg.exclusions.is_empty() {
                        included.push(Block::Bullets(
                            pkg.exclusions
                                .iter()
                                .map(|s| format!("不含：{s}"))
                                .collect(),
                        ));
                    }
                    sections.push(Section {
                        heading: "费用包含与不含".into(),
                        blocks: included,
                    });
                    if !pkg.notes.trim().is_empty() {
                        sections.push(Section {
                            heading: "目的地提示".into(),
                            blocks: vec![Block::Paragraph(pkg.notes.clone())],
                        });
                    }
                }
                LineItem::Room { room_id, stay } => {
                    let Some(room) = tx.get_room(*room_id).await? else {
                        continue;
                    };
                    let Some(property) = tx.get_property(room.property_id).await? else {
                        continue;
                    };
                    let room_type = tx.get_room_type(room.room_type_id).await?;
                    sections.push(Section {
                        heading: format!("住宿信息：{}", property.name),
                        blocks: vec![
                            Block::Highlight {
                                label: "入住".into(),
                                value: format!("{} {} 起", stay.check_in(), property.check_in_time),
                            },
                            Block::KeyValues(vec![
                                ("地址".into(), property.address.clone()),
                                ("前台电话".into(), property.phone.clone()),
                                (
                                    "房型 / 房间".into(),
                                    format!(
                                        "{} / {}",
                                        room_type.map(|t| t.name).unwrap_or_default(),
                                        room.label
                                    ),
                                ),
                                (
                                    "退房".into(),
                                    format!("{} {} 前", stay.check_out(), property.check_out_time),
                                ),
                                ("晚数".into(), format!("{} 晚", stay.nights())),
                            ]),
                        ],
                    });
                }
            }
        }
        sections.insert(
            0,
            Section {
                heading: "出行人".into(),
                blocks: vec![Block::Bullets(travelers)],
            },
        );
        let mut contract = vec![Block::KeyValues(vec![
            ("订单总额".into(), yuan(booking.total_fen)),
            ("已付".into(), yuan(booking.paid_fen)),
            ("待付".into(), yuan(booking.total_fen - booking.paid_fen)),
        ])];
        if let Some(policy) = &booking.policy {
            let terms = match &policy.terms {
                PolicyTerms::Tour(t) => t
                    .customer
                    .tiers()
                    .iter()
                    .map(|tier| format!("{}取消：扣除 {}", tier.days_zh("出发前"), tier.percent()))
                    .collect(),
                PolicyTerms::Lodging(_) => vec![policy.name.clone()],
            };
            contract.push(Block::Paragraph(format!("退改规则：{}", policy.name)));
            contract.push(Block::Bullets(terms));
        }
        sections.push(Section {
            heading: "合同摘要".into(),
            blocks: contract,
        });
        sections.push(Section {
            heading: "紧急联系".into(),
            blocks: vec![Block::KeyValues(vec![
                ("旅行社 24 小时紧急电话".into(), EMERGENCY_HOTLINE.into()),
                ("报警 / 急救".into(), "110 / 120".into()),
            ])],
        });
        let state = match booking.state {
            BookingState::Held => "待确认",
            _ => "已确认",
        };
        Ok(Document {
            title: "出团通知书".into(),
            meta: vec![
                format!(
                    "确认号：{}　状态：{state}",
                    booking
                        .confirmation_no
                        .as_deref()
                        .unwrap_or("（确认后生成）")
                ),
                format!("出行日期：{} 至 {}", booking.starts_on, booking.ends_on),
            ],
            sections,
            footer: Some(format!(
                "出团通知书 {}",
                booking.confirmation_no.as_deref().unwrap_or("")
            )),
        })
    }
}
