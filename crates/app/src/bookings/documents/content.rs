//! What the pre-trip documents say, built from the booking as it stands: the travelers (names,
//! ID documents masked), for each tour line the meeting time and place (highlighted), the
//! trip's facts, the guide, the itinerary day by day with its dates, what is included, the
//! destination tips (the package's notes); for each room line the property, its address and
//! front-desk phone, check-in and check-out times; then the e-contract summary (the total and
//! the cancellation policy stored with the booking, in words) and the emergency contacts.
//!
//! Payment status (paid, balance) is left out on purpose: it changes with every payment and
//! would mark a document sent "outdated" when nothing a traveler reads before the trip changed.

use super::*;
use tripdesk_domain::bookings::documents::contract_terms_zh;
use tripdesk_domain::catalog::{yuan, TravelerCategory};
use tripdesk_pdf::{Block, Section};
use tripdesk_store::{Booking, LineItem, Tx};

/// The agency's 24-hour emergency line printed on every document (seed 000's emergency plan).
pub const EMERGENCY_HOTLINE: &str = "400-820-1234（24 小时）";
/// China's national tourism service hotline (全国旅游服务热线), for complaints and help.
pub const TOURISM_HOTLINE: &str = "12301";

fn category_zh(c: TravelerCategory) -> &'static str {
    match c {
        TravelerCategory::Adult => "成人",
        TravelerCategory::Child => "儿童",
        TravelerCategory::Senior => "长者",
    }
}

/// The identity documents a traveler may carry, as the documents name them.
fn id_document_zh(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "resident_id" => "身份证",
        "passport" => "护照",
        "hk_macao_permit" => "港澳通行证",
        "taiwan_permit" => "台湾通行证",
        _ => return None,
    })
}

/// `2027年5月1日（周六）`.
fn date_zh(d: Date) -> String {
    format!("{}年{}", d.year(), day_zh(d))
}

/// `5月1日（周六）`.
fn day_zh(d: Date) -> String {
    let weekday = match d.weekday() {
        jiff::civil::Weekday::Monday => "周一",
        jiff::civil::Weekday::Tuesday => "周二",
        jiff::civil::Weekday::Wednesday => "周三",
        jiff::civil::Weekday::Thursday => "周四",
        jiff::civil::Weekday::Friday => "周五",
        jiff::civil::Weekday::Saturday => "周六",
        jiff::civil::Weekday::Sunday => "周日",
    };
    format!("{}月{}日（{weekday}）", d.month(), d.day())
}

fn or_later(s: &str) -> String {
    if s.trim().is_empty() {
        "（另行通知）".into()
    } else {
        s.to_string()
    }
}

impl App {
    /// The travelers as the documents list them: name, category and each identity document
    /// masked (`身份证 11**************2X`); never a number in full.
    async fn traveler_lines(
        &self,
        tx: &mut dyn Tx,
        booking: &Booking,
    ) -> Result<Vec<String>, AppError> {
        let mut out = Vec::new();
        let mut people: Vec<(Uuid, Option<TravelerCategory>)> = booking
            .travelers
            .iter()
            .map(|t| (t.customer_id, Some(t.category)))
            .collect();
        if people.is_empty() {
            people.push((booking.customer_id, None));
        }
        for (customer_id, category) in people {
            let Some(customer) = tx
                .get_customer(customer_id)
                .await?
                .filter(|c| c.erased_at.is_none())
            else {
                out.push("（已删除）".into());
                continue;
            };
            let mut line = customer.name;
            if let Some(c) = category {
                line.push_str(&format!("（{}）", category_zh(c)));
            }
            for ident in tx.list_identifiers(customer_id).await? {
                if let Some(label) = id_document_zh(&ident.kind) {
                    line.push_str(&format!("　{label} {}", ident.masked));
                }
            }
            out.push(line);
        }
        Ok(out)
    }

    /// The pre-trip documents of `booking` as it stands, read in `tx`: one model for the HTML
    /// page and the PDF alike.
    pub(crate) async fn build_trip_document(
        &self,
        tx: &mut dyn Tx,
        booking: &Booking,
    ) -> Result<Document, AppError> {
        let mut sections = vec![Section {
            heading: "出行人".into(),
            blocks: vec![Block::Bullets(self.traveler_lines(tx, booking).await?)],
        }];
        let mut contacts = vec![(
            "旅行社 24 小时紧急电话".to_string(),
            EMERGENCY_HOTLINE.to_string(),
        )];
        let mut tours = 0;
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
                    tours += 1;
                    let (dep, pkg) = (d.departure, p.package);
                    sections.push(Section {
                        heading: format!("出团信息：{}", pkg.name),
                        blocks: vec![
                            Block::Highlight {
                                label: "集合时间".into(),
                                value: format!(
                                    "{}{}",
                                    date_zh(dep.date),
                                    or_later(&dep.meeting_time)
                                ),
                            },
                            Block::Highlight {
                                label: "集合地点".into(),
                                value: or_later(&dep.meeting_point),
                            },
                            Block::KeyValues(vec![
                                ("线路".into(), pkg.name.clone()),
                                ("目的地".into(), pkg.destination.clone()),
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
                        ],
                    });
                    sections.push(Section {
                        heading: "导游 / 领队".into(),
                        blocks: vec![if dep.guide_name.is_empty() {
                            Block::Paragraph(
                                "导游尚未确定，出发前将另行通知姓名和联系电话。".into(),
                            )
                        } else {
                            contacts.push((
                                format!("导游 {}", dep.guide_name),
                                dep.guide_phone.clone(),
                            ));
                            Block::KeyValues(vec![
                                ("姓名".into(), dep.guide_name.clone()),
                                ("联系电话".into(), dep.guide_phone.clone()),
                            ])
                        }],
                    });
                    sections.push(Section {
                        heading: "行程安排".into(),
                        blocks: pkg
                            .itinerary
                            .iter()
                            .map(|day| {
                                let on = dep
                                    .date
                                    .checked_add(jiff::Span::new().days(i64::from(day.day) - 1))
                                    .unwrap_or(dep.date);
                                Block::Paragraph(format!(
                                    "第 {} 天 · {}　{}\n{}",
                                    day.day,
                                    day_zh(on),
                                    day.title,
                                    day.description
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
                    contacts.push((format!("{} 前台", property.name), property.phone.clone()));
                    sections.push(Section {
                        heading: format!("住宿信息：{}", property.name),
                        blocks: vec![
                            Block::Highlight {
                                label: "入住".into(),
                                value: format!(
                                    "{}{} 起",
                                    date_zh(stay.check_in()),
                                    property.check_in_time
                                ),
                            },
                            Block::KeyValues(vec![
                                ("酒店 / 民宿".into(), property.name.clone()),
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
                                    "入住时间".into(),
                                    format!("{} {} 起", stay.check_in(), property.check_in_time),
                                ),
                                (
                                    "退房时间".into(),
                                    format!("{} {} 前", stay.check_out(), property.check_out_time),
                                ),
                                ("晚数".into(), format!("{} 晚", stay.nights())),
                            ]),
                        ],
                    });
                }
            }
        }
        let mut contract = vec![Block::KeyValues(vec![
            (
                "确认号".into(),
                booking
                    .confirmation_no
                    .clone()
                    .unwrap_or_else(|| "（确认后生成）".into()),
            ),
            (
                "出行日期".into(),
                format!("{} 至 {}", booking.starts_on, booking.ends_on),
            ),
            ("订单总额".into(), yuan(booking.total_fen)),
        ])];
        if let Some(policy) = &booking.policy {
            contract.push(Block::Paragraph(format!("退改规则：{}", policy.name)));
            contract.push(Block::Bullets(contract_terms_zh(policy)));
        }
        sections.push(Section {
            heading: "电子合同摘要".into(),
            blocks: contract,
        });
        contacts.push(("全国旅游服务热线".into(), TOURISM_HOTLINE.into()));
        contacts.push(("报警 / 急救".into(), "110 / 120".into()));
        sections.push(Section {
            heading: "紧急联系".into(),
            blocks: vec![Block::KeyValues(contacts)],
        });
        let title = if tours > 0 {
            "出团通知书"
        } else {
            "入住通知书"
        };
        let state = match booking.state {
            BookingState::Held => "待确认",
            BookingState::Changed => "已变更",
            _ => "已确认",
        };
        let number = booking.confirmation_no.as_deref().unwrap_or("");
        Ok(Document {
            title: title.into(),
            meta: vec![
                format!(
                    "确认号：{}　状态：{state}",
                    if number.is_empty() {
                        "（确认后生成）"
                    } else {
                        number
                    }
                ),
                format!("出行日期：{} 至 {}", booking.starts_on, booking.ends_on),
            ],
            sections,
            footer: Some(format!("{title} {number}").trim_end().to_string()),
        })
    }
}

/// SHA-256 (hex) of a document's content: every text in order, each prefixed by a tag for its
/// place and by its length, so two different documents never share an encoding. Stored with
/// each sending and compared with the hash of the document the booking gives now.
pub fn content_hash(doc: &Document) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut put = |tag: u8, text: &str| {
        h.update([tag]);
        h.update((text.len() as u64).to_be_bytes());
        h.update(text.as_bytes());
    };
    put(b'T', &doc.title);
    for m in &doc.meta {
        put(b'M', m);
    }
    put(b'F', doc.footer.as_deref().unwrap_or(""));
    for s in &doc.sections {
        put(b'S', &s.heading);
        for b in &s.blocks {
            match b {
                Block::Paragraph(p) => put(b'p', p),
                Block::Highlight { label, value } => {
                    put(b'h', label);
                    put(b'v', value);
                }
                Block::KeyValues(kv) => {
                    put(b'k', "");
                    for (k, v) in kv {
                        put(b'K', k);
                        put(b'V', v);
                    }
                }
                Block::Bullets(items) => {
                    put(b'b', "");
                    for i in items {
                        put(b'B', i);
                    }
                }
                Block::Table { header, rows } => {
                    put(b't', "");
                    for c in header {
                        put(b'H', c);
                    }
                    for r in rows {
                        put(b'r', "");
                        for c in r {
                            put(b'C', c);
                        }
                    }
                }
            }
        }
    }
    let digest = h.finalize();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Document {
        Document {
            title: "出团通知书".into(),
            meta: vec!["确认号：TD1".into()],
            sections: vec![Section {
                heading: "出行人".into(),
                blocks: vec![Block::Bullets(vec!["张晓梅".into()])],
            }],
            footer: None,
        }
    }

    #[test]
    fn the_hash_changes_with_any_text_and_with_where_a_text_sits() {
        let base = content_hash(&doc());
        assert_eq!(base.len(), 64);
        assert_eq!(
            base,
            content_hash(&doc()),
            "the same content hashes the same"
        );
        let mut renamed = doc();
        renamed.sections[0].blocks = vec![Block::Bullets(vec!["张晓玫".into()])];
        assert_ne!(base, content_hash(&renamed));
        // The same texts in other places are another document.
        let mut moved = doc();
        moved.sections[0].blocks = vec![Block::Paragraph("张晓梅".into())];
        assert_ne!(base, content_hash(&moved));
        let mut split = doc();
        split.sections[0].blocks = vec![Block::Bullets(vec!["张晓".into(), "梅".into()])];
        assert_ne!(base, content_hash(&split));
    }

    #[test]
    fn days_read_in_chinese_with_their_weekday() {
        assert_eq!(day_zh(jiff::civil::date(2027, 5, 1)), "5月1日（周六）");
        assert_eq!(
            date_zh(jiff::civil::date(2027, 5, 2)),
            "2027年5月2日（周日）"
        );
        assert_eq!(or_later(" "), "（另行通知）");
        assert_eq!(id_document_zh("phone"), None);
    }
}
