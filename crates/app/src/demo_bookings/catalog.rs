//! The demo catalog: the agency's 20 tour packages (16 domestic, 4 outbound) with 10
//! departures each from three months ago to six months ahead, and the homestay 云栖山舍民宿
//! (the demo's homestay business unit, 莫干山) with 12 rooms of 4 room types, a few nights
//! blocked by OTA feeds and one room closed for repairs.
//!
//! Written straight through the catalog ports in one transaction: the use cases
//! (`create_departure`) refuse departures in the past, and the demo needs history.
//! Every package and departure is still checked by the domain validators first.

use super::packages::{Pkg, PACKAGES};
use crate::{App, AppError};
use jiff::civil::Date;
use jiff::ToSpan;
use std::collections::HashSet;
use tripdesk_domain::catalog::{
    Accessibility, CategoryPrices, Departure, FeeItem, ItineraryDay, RoomType, TourPackage,
    TourScope,
};
use tripdesk_store::{NightUse, PackageRecord, Property, Room, Tx};
use uuid::Uuid;

/// Departures per package (20 × 10 = 200).
const DEPARTURES_PER_PACKAGE: i64 = 10;

/// What the bookings generator needs to know of one departure.
pub(super) struct DemoDeparture {
    pub(super) id: Uuid,
    pub(super) date: Date,
    pub(super) last_day: Date,
    pub(super) seats: u32,
    pub(super) scope: TourScope,
    pub(super) departure: Departure,
    /// Popular packages get more bookings (some of their departures sell out).
    pub(super) weight: u64,
}

/// A room and its type, for the bookings generator.
pub(super) struct DemoRoom {
    pub(super) id: Uuid,
    pub(super) room_type: RoomType,
}

/// The demo catalog as written, for the bookings that follow.
pub(super) struct DemoCatalog {
    pub(super) departures: Vec<DemoDeparture>,
    pub(super) rooms: Vec<DemoRoom>,
    /// Nights (room index, night) already occupied by OTA blocks and the closure.
    pub(super) blocked: HashSet<(usize, Date)>,
}

fn package_of(p: &Pkg) -> TourPackage {
    let total = p.yuan * 100;
    let outbound = p.scope == TourScope::Outbound;
    // How the adult price splits, in per cent; the last line takes the rounding.
    let split: &[(&str, i64)] = if outbound {
        &[
            ("国际往返机票及税费", 38),
            ("境外酒店住宿", 27),
            ("境外用餐", 10),
            ("景点门票", 8),
            ("签证及领队服务", 7),
            ("当地交通", 6),
        ]
    } else {
        &[
            ("大交通（机票/高铁）", 30),
            ("酒店住宿", 28),
            ("团队用餐", 12),
            ("景区门票", 15),
            ("导游服务", 5),
            ("当地用车", 6),
        ]
    };
    let mut fees: Vec<FeeItem> = split
        .iter()
        .map(|(label, pct)| FeeItem {
            label: (*label).into(),
            amount_fen: total * pct / 100,
        })
        .collect();
    let so_far: i64 = fees.iter().map(|f| f.amount_fen).sum();
    fees.push(FeeItem {
        label: "旅行社服务费".into(),
        amount_fen: total - so_far,
    });
    let mut inclusions: Vec<String> = [
        "行程所列往返大交通",
        "行程所列住宿（两人一间）",
        "行程所列团队用餐",
        "景区首道大门票",
        "旅行社责任险",
    ]
    .map(String::from)
    .to_vec();
    let mut exclusions: Vec<String> = [
        "单房差（需单住请补足）",
        "个人消费及行程外自费项目",
        "旅游意外险（建议购买）",
    ]
    .map(String::from)
    .to_vec();
    if outbound {
        inclusions.push("签证或入境手续代办费".into());
        inclusions.push("全程中文领队".into());
        exclusions.push("护照办理费用".into());
        exclusions.push("境外司机导游小费".into());
    } else {
        inclusions.push("全程持证导游服务".into());
    }
    TourPackage {
        id: Uuid::now_v7(),
        name: p.name.into(),
        destination: p.destination.into(),
        keywords: p.keywords.split(' ').map(String::from).collect(),
        scope: p.scope,
        tags: p.tags.to_vec(),
        accessibility: Accessibility {
            wheelchair: p.access.0,
            easy_walking: p.access.1,
        },
        diets: p.diets.to_vec(),
        itinerary: p
            .days
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let (title, description) = d.split_once('：').unwrap_or((d, ""));
                ItineraryDay {
                    day: u16::try_from(i + 1).unwrap_or(u16::MAX),
                    title: title.into(),
                    description: description.into(),
                }
            })
            .collect(),
        inclusions,
        exclusions,
        fees,
        accommodation: p.hotel.into(),
        transport: p.transport.into(),
        meals: p.meals.into(),
        notes: p.note.into(),
    }
}

/// The price factor of a departure date, in per cent: summer holidays and the National Day
/// week cost more, the quiet weeks of late autumn and early spring less.
fn season_percent(date: Date) -> i64 {
    match (date.month(), date.day()) {
        (10, 1..=7) => 125,
        (7 | 8, _) => 115,
        (1, 20..) | (2, ..=10) => 110,
        (11, _) | (3, _) => 90,
        _ => 100,
    }
}

/// Rounds fen to whole tens of yuan, the way brochures print prices.
fn brochure(fen: i64) -> i64 {
    (fen + 500) / 1000 * 1000
}

/// The 12 rooms: label, room type (index into `room_types`).
const ROOMS: &[(&str, usize)] = &[
    ("101 听竹", 0),
    ("102 揽翠", 0),
    ("103 童趣", 3),
    ("104 星空", 3),
    ("201 清风", 0),
    ("202 明月", 0),
    ("203 远山", 1),
    ("204 云岫", 1),
    ("301 松涛", 1),
    ("302 栖霞", 1),
    ("303 望岳", 2),
    ("304 听泉", 2),
];

fn room_types(property_id: Uuid) -> Vec<RoomType> {
    let t =
        |name: &str, occ: u32, fac: &[&str], wheelchair: bool, rates: (i64, i64, i64)| RoomType {
            id: Uuid::now_v7(),
            property_id,
            name: name.into(),
            max_occupancy: occ,
            facilities: fac.iter().map(|f| f.to_string()).collect(),
            accessibility: Accessibility {
                wheelchair,
                easy_walking: wheelchair,
            },
            base_rate: rates.0,
            weekend_rate: Some(rates.1),
            holiday_rate: Some(rates.2),
        };
    vec![
        t(
            "竹林大床房",
            2,
            &["独立卫浴", "地暖", "竹林景观", "1.8米大床"],
            false,
            (58_800, 78_800, 108_800),
        ),
        t(
            "山景双床房",
            2,
            &["独立卫浴", "地暖", "山景窗", "两张1.2米床"],
            false,
            (62_800, 82_800, 118_800),
        ),
        t(
            "观景露台套房",
            3,
            &["私人露台", "观景浴缸", "茶室", "投影仪", "1.8米大床"],
            false,
            (98_800, 128_800, 168_800),
        ),
        t(
            "亲子家庭房",
            4,
            &["一楼独立入口", "无障碍卫浴", "儿童帐篷床", "1.8米大床"],
            true,
            (88_800, 108_800, 148_800),
        ),
    ]
}

/// The demo agency's guides: name and work phone (fictitious numbers).
const GUIDES: [(&str, &str); 6] = [
    ("李明（导游）", "139 0571 2201"),
    ("王芳（领队）", "138 0571 3302"),
    ("陈静（导游）", "137 0571 4403"),
    ("刘洋（导游）", "136 0571 5504"),
    ("赵磊（领队）", "135 0571 6605"),
    ("孙悦（导游）", "150 0571 7706"),
];

impl App {
    /// Writes the demo catalog in `tx` (see the module comment). Departures run from about
    /// 90 days before `today` to 180 after it.
    pub(super) async fn write_demo_catalog(
        &self,
        tx: &mut dyn Tx,
        today: Date,
    ) -> Result<DemoCatalog, AppError> {
        let now = self.now();
        let invalid = |e: tripdesk_domain::catalog::CatalogError| {
            AppError::Internal(format!("demo catalog: {e}"))
        };
        let mut departures = Vec::new();
        let first = today
            .checked_sub(90.days())
            .map_err(|e| AppError::Internal(e.to_string()))?;
        for (p_ix, p) in PACKAGES.iter().enumerate() {
            let package = package_of(p);
            package.validate().map_err(invalid)?;
            let record = PackageRecord {
                package,
                active: true,
                created_at: now,
                updated_at: now,
            };
            tx.insert_package(&record).await?;
            self.index_package(&mut *tx, &record).await?;
            let days = record.package.days();
            let p_ix = i64::try_from(p_ix).unwrap_or(0);
            for k in 0..DEPARTURES_PER_PACKAGE {
                // Every 27 days, each package on its own weekday pattern.
                let date = first
                    .checked_add((k * 27 + p_ix * 5 % 27).days())
                    .map_err(|e| AppError::Internal(e.to_string()))?;
                let adult = brochure(p.yuan * 100 * season_percent(date) / 100);
                let notice = p.scope.go_no_go_notice_days();
                let mut departure = Departure {
                    id: Uuid::now_v7(),
                    package_id: record.package.id,
                    date,
                    seats: p.seats,
                    min_group: p.min_group,
                    go_no_go: date
                        .checked_sub(i64::from(notice).days())
                        .map_err(|e| AppError::Internal(e.to_string()))?,
                    prices: CategoryPrices {
                        adult,
                        child: brochure(adult * 70 / 100),
                        senior: brochure(adult * 90 / 100),
                    },
                    meeting_time: p.meet.0.into(),
                    meeting_point: p.meet.1.into(),
                    guide_name: String::new(),
                    guide_phone: String::new(),
                };
                // Guides are assigned in the weeks before a departure: those gone and the
                // next 30 days have one, later ones not yet.
                if date <= today.checked_add(30.days()).unwrap_or(today) {
                    let (name, phone) =
                        GUIDES[usize::try_from(p_ix + k).unwrap_or(0) % GUIDES.len()];
                    departure.set_guide(name, phone).map_err(invalid)?;
                }
                departure.validate(p.scope).map_err(invalid)?;
                tx.insert_departure(&departure, now).await?;
                departures.push(DemoDeparture {
                    id: departure.id,
                    date,
                    last_day: departure.return_date(days),
                    seats: p.seats,
                    scope: p.scope,
                    departure,
                    weight: if p_ix % 4 == 0 { 3 } else { 1 },
                });
            }
        }

        let property = Property {
            id: Uuid::now_v7(),
            name: "云栖山舍民宿".into(),
            address: "浙江省湖州市德清县莫干山镇劳岭村云栖坞18号".into(),
            phone: "0572-8031888".into(),
            check_in_time: "14:00".into(),
            check_out_time: "12:00".into(),
            created_at: now,
        };
        tx.insert_property(&property).await?;
        let types = room_types(property.id);
        for t in &types {
            t.validate().map_err(invalid)?;
            tx.insert_room_type(t, now).await?;
        }
        self.index_property(&mut *tx, property.id).await?;
        let mut rooms = Vec::new();
        for (i, (label, type_ix)) in ROOMS.iter().enumerate() {
            let room = Room {
                id: Uuid::now_v7(),
                property_id: property.id,
                room_type_id: types[*type_ix].id,
                label: (*label).into(),
                position: i64::try_from(i).unwrap_or(0) + 1,
                active: true,
            };
            tx.insert_room(&room).await?;
            rooms.push(DemoRoom {
                id: room.id,
                room_type: types[*type_ix].clone(),
            });
        }

        // Nights sold on Airbnb and Booking.com (imported feeds), and 202 closed for repairs.
        let blocks = [
            Block::new(8, blocked("airbnb"), &[(5, 2), (19, 3)]),
            Block::new(9, blocked("airbnb"), &[(12, 2), (40, 4)]),
            Block::new(7, blocked("booking.com"), &[(26, 2)]),
            Block::new(
                5,
                NightUse::Closed {
                    source: "维修".into(),
                },
                &[(9, 5)],
            ),
        ];
        let mut blocked_nights = HashSet::new();
        for Block {
            room: room_ix,
            used_by,
            ranges,
        } in &blocks
        {
            let nights = ranges
                .iter()
                .flat_map(|(from, n)| *from..from + n)
                .map(|d| today.checked_add(d.days()))
                .collect::<Result<Vec<Date>, _>>()
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let conflicts = tx
                .replace_blocks(rooms[*room_ix].id, used_by, &nights)
                .await?;
            if !conflicts.is_empty() {
                return Err(AppError::Internal("demo blocks overlap".into()));
            }
            blocked_nights.extend(nights.into_iter().map(|d| (*room_ix, d)));
        }
        Ok(DemoCatalog {
            departures,
            rooms,
            blocked: blocked_nights,
        })
    }
}

/// Nights of one room taken by one feed (or closed), as (days from today, nights) ranges.
struct Block {
    room: usize,
    used_by: NightUse,
    ranges: &'static [(i64, i64)],
}

impl Block {
    fn new(room: usize, used_by: NightUse, ranges: &'static [(i64, i64)]) -> Self {
        Self {
            room,
            used_by,
            ranges,
        }
    }
}

fn blocked(source: &str) -> NightUse {
    NightUse::Blocked {
        source: source.into(),
    }
}
