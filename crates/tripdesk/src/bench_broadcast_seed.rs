//! The data of `tripdesk bench broadcast` (`bench_broadcast.rs`): a summer season's catalog
//! in 20 regions through the use cases, and its bookings — `affected` of them in 云南 in the
//! typhoon's week, each by a traveler of their own — through the store ports, 5,000 per
//! transaction, every booker with a mobile phone sealed as the use cases seal it.

use crate::bench_broadcast::Shape;
use anyhow::bail;
use jiff::civil::Date;
use jiff::{Span, Timestamp};
use std::time::Instant;
use tripdesk_app::bookings::catalog::NewProperty;
use tripdesk_app::App;
use tripdesk_domain::bookings::{BookingLine, BookingState, LineItem, Stay};
use tripdesk_domain::catalog::{
    Accessibility, CategoryPrices, Departure, FeeItem, ItineraryDay, Party, RoomType, TourPackage,
    TourScope,
};
use tripdesk_store::{Booking, Customer};
use tripdesk_vault::KeyRing;
use uuid::Uuid;

/// Bookings, customers and their inventory written per transaction while seeding.
const SEED_TX: usize = 5_000;
/// The season seeded: 120 days from 1 June.
const SEASON_DAYS: i64 = 120;
const TOUR_DAYS: i64 = 5;
/// Seats of a departure: a date's several coaches sold as one departure (团期).
const SEATS: u32 = 400;
const PACKAGES_PER_REGION: usize = 10;
const PROPERTIES_PER_REGION: usize = 4;
const ROOMS_PER_PROPERTY: usize = 25;

/// (region, province, as a tour's destination names the province): the first five are in
/// 云南, the typhoon's scope.
const REGIONS: [(&str, &str, &str); 20] = [
    ("大理", "云南省", "云南"),
    ("丽江", "云南省", "云南"),
    ("西双版纳", "云南省", "云南"),
    ("香格里拉", "云南省", "云南"),
    ("昆明", "云南省", "云南"),
    ("三亚", "海南省", "海南"),
    ("桂林", "广西壮族自治区", "广西"),
    ("黄山", "安徽省", "安徽"),
    ("张家界", "湖南省", "湖南"),
    ("厦门", "福建省", "福建"),
    ("九寨沟", "四川省", "四川"),
    ("成都", "四川省", "四川"),
    ("西安", "陕西省", "陕西"),
    ("杭州", "浙江省", "浙江"),
    ("苏州", "江苏省", "江苏"),
    ("青岛", "山东省", "山东"),
    ("哈尔滨", "黑龙江省", "黑龙江"),
    ("敦煌", "甘肃省", "甘肃"),
    ("拉萨", "西藏自治区", "西藏"),
    ("乌鲁木齐", "新疆维吾尔自治区", "新疆"),
];
const IN_SCOPE_REGIONS: usize = 5;

const SURNAMES: [&str; 16] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
];
const GIVEN: [&str; 16] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
];

fn season_start() -> Date {
    jiff::civil::date(2031, 6, 1)
}

/// The typhoon's week: 20–26 July.
pub(crate) fn window() -> (Date, Date) {
    (
        jiff::civil::date(2031, 7, 20),
        jiff::civil::date(2031, 7, 26),
    )
}

fn add_days(d: Date, n: i64) -> Date {
    d.checked_add(Span::new().days(n)).expect("a date in range")
}

/// What the catalog seeding made.
pub(crate) struct Catalog {
    pub packages: usize,
    /// (departure, date, in 云南).
    pub departures: Vec<(Uuid, Date, bool)>,
    /// (room, in 云南).
    pub rooms: Vec<(Uuid, bool)>,
}

fn package(region: &str, province: &str, n: usize) -> TourPackage {
    TourPackage {
        id: Uuid::nil(),
        name: format!("{region}深度{}日游·线路{}", TOUR_DAYS, n + 1),
        destination: format!("{province}{region}"),
        keywords: vec![region.into(), province.into()],
        scope: TourScope::Domestic,
        tags: Vec::new(),
        accessibility: Accessibility::default(),
        diets: Vec::new(),
        itinerary: (1..=TOUR_DAYS as u16)
            .map(|day| ItineraryDay {
                day,
                title: format!("第{day}天 {region}"),
                description: "游览当地景点，入住酒店。".into(),
            })
            .collect(),
        inclusions: vec!["住宿".into(), "用车".into(), "导游".into()],
        exclusions: vec!["个人消费".into()],
        fees: vec![FeeItem {
            label: "团费".into(),
            amount_fen: 398_000,
        }],
        accommodation: "四星酒店双人间".into(),
        transport: "空调旅游大巴".into(),
        meals: "含早餐".into(),
        notes: String::new(),
    }
}

pub(crate) async fn seed_catalog(app: &App) -> anyhow::Result<Catalog> {
    let admin = App::console_principal();
    let now = app.now();
    let mut out = Catalog {
        packages: 0,
        departures: Vec::new(),
        rooms: Vec::new(),
    };
    for (r, (region, province, short)) in REGIONS.iter().enumerate() {
        let in_scope = r < IN_SCOPE_REGIONS;
        let mut departures = Vec::new();
        for n in 0..PACKAGES_PER_REGION {
            let p = app
                .create_package(&admin, package(region, short, n))
                .await?;
            out.packages += 1;
            for d in 0..SEASON_DAYS {
                let date = add_days(season_start(), d);
                departures.push(Departure {
                    id: Uuid::now_v7(),
                    package_id: p.package.id,
                    date,
                    seats: SEATS,
                    min_group: 10,
                    go_no_go: add_days(date, -7),
                    prices: CategoryPrices {
                        adult: 398_000,
                        child: 298_000,
                        senior: 358_000,
                    },
                    meeting_time: "07:30".into(),
                    meeting_point: format!("{region}机场"),
                    guide_name: String::new(),
                    guide_phone: String::new(),
                });
            }
        }
        let mut tx = app.store.write().await?;
        for d in &departures {
            d.validate(TourScope::Domestic)
                .map_err(|e| anyhow::anyhow!("a seeded departure is invalid: {e:?}"))?;
            tx.insert_departure(d, now).await?;
            out.departures.push((d.id, d.date, in_scope));
        }
        tx.commit().await?;
        for h in 0..PROPERTIES_PER_REGION {
            let property = app
                .create_property(
                    &admin,
                    NewProperty {
                        name: format!("{region}·云栖民宿{}号院", h + 1),
                        address: format!("{province}{region}市古城区{}号", 100 + h),
                        phone: "0872-2461888".into(),
                        check_in_time: "14:00".into(),
                        check_out_time: "12:00".into(),
                    },
                )
                .await?;
            let rt = app
                .create_room_type(
                    &admin,
                    RoomType {
                        id: Uuid::nil(),
                        property_id: property.id,
                        name: "庭院大床房".into(),
                        max_occupancy: 2,
                        facilities: vec!["独立卫浴".into()],
                        accessibility: Accessibility::default(),
                        base_rate: 48_000,
                        weekend_rate: Some(58_000),
                        holiday_rate: Some(78_000),
                    },
                )
                .await?;
            for k in 0..ROOMS_PER_PROPERTY {
                let room = app
                    .create_room(&admin, rt.id, &format!("{}{:02}", h + 1, k + 1), k as i64)
                    .await?;
                out.rooms.push((room.id, in_scope));
            }
        }
    }
    Ok(out)
}

/// What one seeded booking takes.
enum Slot {
    /// A two-night stay from the date.
    Stay(Uuid, Date),
    /// Seats on a departure.
    Seats(Uuid, Date, u32),
}

/// Hands out inventory in order: stays and seats in scope (云南, overlapping the typhoon's
/// week), and out of it (elsewhere, or in 云南 before or after).
struct Slots {
    stays: Vec<(Uuid, Date)>,
    stay_next: usize,
    departures: Vec<(Uuid, Date)>,
    departure_next: usize,
    seats_left: u32,
    /// Bookings handed out so far: every fiftieth is a stay while stays last.
    calls: usize,
}

impl Slots {
    fn new(catalog: &Catalog, in_scope: bool) -> Self {
        let (from, to) = window();
        // A stay [d, d+2) is affected when one of its nights falls in [from - 1, to] — kept
        // out of that band entirely when out of scope.
        let mut stays = Vec::new();
        for (room, yunnan) in &catalog.rooms {
            let mut d = season_start();
            while d < add_days(season_start(), SEASON_DAYS - 1) {
                let last_night = add_days(d, 1);
                let touches = last_night >= add_days(from, -1) && d <= to;
                if in_scope == (*yunnan && touches) {
                    stays.push((*room, d));
                }
                d = add_days(d, 2);
            }
        }
        let departures = catalog
            .departures
            .iter()
            .filter(|(_, date, yunnan)| {
                let back = add_days(*date, TOUR_DAYS - 1);
                let touches = back >= from && *date <= to;
                in_scope == (*yunnan && touches)
            })
            .map(|(id, date, _)| (*id, *date))
            .collect();
        Slots {
            stays,
            stay_next: 0,
            departures,
            departure_next: 0,
            seats_left: SEATS,
            calls: 0,
        }
    }

    /// One stay in fifty bookings while stays last, else seats for a party of `party`.
    fn next(&mut self, party: u32) -> Option<Slot> {
        self.calls += 1;
        if self.calls.is_multiple_of(50) && self.stay_next < self.stays.len() {
            let (room, d) = self.stays[self.stay_next];
            self.stay_next += 1;
            return Some(Slot::Stay(room, d));
        }
        loop {
            let &(id, date) = self.departures.get(self.departure_next)?;
            if self.seats_left >= party {
                self.seats_left -= party;
                return Some(Slot::Seats(id, date, party));
            }
            self.departure_next += 1;
            self.seats_left = SEATS;
        }
    }
}

fn customer(id: Uuid, i: usize, now: Timestamp) -> Customer {
    Customer {
        id,
        name: format!(
            "{}{}{}",
            SURNAMES[i % 16],
            GIVEN[(i / 16) % 16],
            GIVEN[(i / 256) % 16]
        ),
        birth_date_sealed: None,
        diet_sealed: None,
        allergies_sealed: None,
        accessibility_sealed: None,
        preferred_language: Some("zh-CN".into()),
        preferred_channel: Some("sms".into()),
        source_channel: Some("web".into()),
        tags: Vec::new(),
        notes: None,
        created_by: None,
        updated_by: None,
        created_at: now,
        updated_at: now,
        erased_at: None,
        merged_into: None,
    }
}

/// Booking `i` is in scope when `i·affected / bookings` steps: exactly `affected` of them,
/// spread evenly through the table.
fn in_scope(i: usize, shape: &Shape) -> bool {
    (i * shape.affected) / shape.bookings != ((i + 1) * shape.affected) / shape.bookings
}

pub(crate) async fn seed_bookings(
    app: &App,
    keys: &KeyRing,
    catalog: &Catalog,
    shape: &Shape,
) -> anyhow::Result<()> {
    let now = app.now();
    let mut inside = Slots::new(catalog, true);
    let mut outside = Slots::new(catalog, false);
    // Returning customers: those outside the scope book three times each on average.
    let pool = ((shape.bookings - shape.affected) / 3).max(1);
    let mut regulars: Vec<Option<Uuid>> = vec![None; pool];
    let started = Instant::now();
    let mut i = 0;
    let mut customers_made = 0usize;
    while i < shape.bookings {
        let end = (i + SEED_TX).min(shape.bookings);
        let mut tx = app.store.write().await?;
        for j in i..end {
            // Couples and travelers alone, alike in and out of scope.
            let party = 1 + ((j / 7) % 2) as u32;
            let scoped = in_scope(j, shape);
            let slot = if scoped {
                inside.next(party)
            } else {
                outside.next(party)
            };
            let Some(slot) = slot else {
                bail!(
                    "the seeded catalog holds too little inventory {} the scope for {} bookings \
                     with {} affected",
                    if scoped { "in" } else { "outside" },
                    shape.bookings,
                    shape.affected
                );
            };
            let (customer_id, new) = if scoped {
                (Uuid::now_v7(), true)
            } else {
                let k = j % pool;
                match regulars[k] {
                    Some(id) => (id, false),
                    None => {
                        let id = Uuid::now_v7();
                        regulars[k] = Some(id);
                        (id, true)
                    }
                }
            };
            if new {
                tx.insert_customer(&customer(customer_id, j, now)).await?;
                let phone = format!("139{:08}", customers_made);
                customers_made += 1;
                let identifier =
                    tripdesk_app::customers::sealed_phone(keys, customer_id, &phone, now)?;
                tx.insert_identifier(&identifier).await?;
            }
            let id = Uuid::now_v7();
            let (item, starts_on, ends_on, price) = match slot {
                Slot::Stay(room, d) => (
                    LineItem::Room {
                        room_id: room,
                        stay: Stay::new(d, add_days(d, 2))?,
                    },
                    d,
                    add_days(d, 2),
                    96_000,
                ),
                Slot::Seats(departure, d, seats) => (
                    LineItem::Seats {
                        departure_id: departure,
                        party: Party {
                            adults: seats,
                            children: 0,
                            seniors: 0,
                        },
                    },
                    d,
                    add_days(d, TOUR_DAYS - 1),
                    398_000 * i64::from(seats),
                ),
            };
            // As the booking use case does: the booking, then the inventory it takes.
            tx.insert_booking(&Booking {
                id,
                customer_id,
                state: BookingState::Confirmed,
                hold_kind: None,
                hold_expires_at: None,
                confirmation_no: Some(format!("BC{j:09}")),
                starts_on,
                ends_on,
                total_fen: price,
                paid_fen: price,
                policy: None,
                ticket_id: None,
                created_by: None,
                created_at: now,
                updated_at: now,
                confirmed_at: Some(now),
                closed_at: None,
                arrived_at: None,
                registered_at: None,
                welcome_pack_at: None,
                version: 1,
                lines: vec![BookingLine {
                    line_no: 1,
                    item: item.clone(),
                    price_fen: price,
                }],
                travelers: Vec::new(),
            })
            .await?;
            let took = match item {
                LineItem::Room { room_id, stay } => tx.take_room_nights(id, room_id, stay).await?,
                LineItem::Seats {
                    departure_id,
                    party,
                } => tx.take_seats(departure_id, party.size()).await?,
            };
            if !took {
                bail!("seeded inventory was taken twice");
            }
        }
        tx.commit().await?;
        i = end;
        if i % 100_000 < SEED_TX {
            println!(
                "  seeded {i} bookings ({:.0}/s)",
                i as f64 / started.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "seeded {} bookings ({} customers, {} affected) in {:.1} s",
        shape.bookings,
        customers_made,
        shape.affected,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
