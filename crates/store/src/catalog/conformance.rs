//! Conformance checks of the catalog repository (re-exported by [`crate::conformance`]).

/// This repository's checks as tests (run by [`conformance_tests!`](crate::conformance_tests)).
#[macro_export]
macro_rules! catalog_conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            catalog_round_trips, departures_filter_and_page, blocks_take_free_nights_only);
    };
}

use crate::conformance::t;
use crate::*;
use jiff::civil::{date, Date};
use tripdesk_domain::catalog::{
    Accessibility, CategoryPrices, Departure, FeeItem, ItineraryDay, RoomType, Tag, TourPackage,
    TourScope,
};
use uuid::Uuid;

/// A two-day domestic package with Chinese content.
pub fn sample_package(name: &str) -> PackageRecord {
    let now = t("2026-03-01T02:00:00Z");
    PackageRecord {
        package: TourPackage {
            id: Uuid::now_v7(),
            name: name.into(),
            destination: "黄山".into(),
            keywords: vec!["西海大峡谷".into(), "宏村".into()],
            scope: TourScope::Domestic,
            tags: vec![Tag::Sightseeing, Tag::Culture],
            accessibility: Accessibility::default(),
            diets: vec![],
            itinerary: vec![
                ItineraryDay {
                    day: 1,
                    title: "合肥—黄山".into(),
                    description: "上午集合出发，下午游览宏村".into(),
                },
                ItineraryDay {
                    day: 2,
                    title: "黄山风景区".into(),
                    description: "西海大峡谷，傍晚返回".into(),
                },
            ],
            inclusions: vec!["往返大巴".into(), "景区首道门票".into()],
            exclusions: vec!["索道".into()],
            fees: vec![FeeItem {
                label: "门票".into(),
                amount_fen: 19_000,
            }],
            accommodation: "山上酒店标准间".into(),
            transport: "空调旅游大巴".into(),
            meals: "1早2正".into(),
            notes: "山上气温低，请带外套".into(),
        },
        active: true,
        created_at: now,
        updated_at: now,
    }
}

/// A departure of `package_id` on `on` with `seats` seats.
pub fn sample_departure(package_id: Uuid, on: Date, seats: u32) -> Departure {
    Departure {
        id: Uuid::now_v7(),
        package_id,
        date: on,
        seats,
        min_group: 1,
        go_no_go: on.checked_sub(jiff::Span::new().days(7)).unwrap(),
        prices: CategoryPrices {
            adult: 128_000,
            child: 68_000,
            senior: 98_000,
        },
        meeting_time: "07:00".into(),
        meeting_point: "合肥南站北广场".into(),
        guide_name: String::new(),
        guide_phone: String::new(),
    }
}

/// A property with one room type of `rooms` rooms; returns the property and its rooms.
pub async fn sample_property(store: &dyn Store, rooms: usize) -> (Property, RoomType, Vec<Room>) {
    let now = t("2026-03-01T02:00:00Z");
    let property = Property {
        id: Uuid::now_v7(),
        name: format!(
            "大理洱海边民宿 {}",
            &Uuid::now_v7().simple().to_string()[24..]
        ),
        address: "云南省大理市双廊镇".into(),
        phone: "0872-1234567".into(),
        check_in_time: "14:00".into(),
        check_out_time: "12:00".into(),
        created_at: now,
    };
    let room_type = RoomType {
        id: Uuid::now_v7(),
        property_id: property.id,
        name: "海景大床房".into(),
        max_occupancy: 2,
        facilities: vec!["独立卫浴".into(), "观景阳台".into()],
        accessibility: Accessibility::default(),
        base_rate: 48_000,
        weekend_rate: Some(58_000),
        holiday_rate: None,
    };
    let rooms: Vec<Room> = (0..rooms)
        .map(|i| Room {
            id: Uuid::now_v7(),
            property_id: property.id,
            room_type_id: room_type.id,
            label: format!("{}", 201 + i),
            position: i as i64,
            active: true,
        })
        .collect();
    let mut tx = store.write().await.unwrap();
    tx.insert_property(&property).await.unwrap();
    tx.insert_room_type(&room_type, now).await.unwrap();
    for room in &rooms {
        tx.insert_room(room).await.unwrap();
    }
    tx.commit().await.unwrap();
    (property, room_type, rooms)
}

/// What was written reads back the same; a second room with one label is refused.
pub async fn catalog_round_trips(store: &dyn Store) {
    let package = sample_package("黄山宏村二日游");
    let departure = sample_departure(package.package.id, date(2026, 5, 1), 30);
    let mut tx = store.write().await.unwrap();
    tx.insert_package(&package).await.unwrap();
    tx.insert_departure(&departure, package.created_at)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.get_package(package.package.id).await.unwrap(),
        Some(package.clone())
    );
    let got = r.get_departure(departure.id).await.unwrap().unwrap();
    assert_eq!(got.departure, departure);
    assert_eq!((got.taken, got.cancelled, got.seats_left()), (0, false, 30));
    drop(r);

    // A guide is set (and read back with the departure), then taken off; an unknown
    // departure has none to set.
    let later = package.created_at + jiff::SignedDuration::from_hours(1);
    let mut tx = store.write().await.unwrap();
    assert!(tx
        .set_departure_guide(departure.id, "李明（领队）", "139 0000 1234", later)
        .await
        .unwrap());
    assert!(!tx
        .set_departure_guide(Uuid::now_v7(), "李明", "139 0000 1234", later)
        .await
        .unwrap());
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let got = r.get_departure(departure.id).await.unwrap().unwrap();
    assert_eq!(
        (
            got.departure.guide_name.as_str(),
            got.departure.guide_phone.as_str()
        ),
        ("李明（领队）", "139 0000 1234")
    );
    assert_eq!(got.updated_at, later);
    drop(r);
    let mut tx = store.write().await.unwrap();
    assert!(tx
        .set_departure_guide(departure.id, "", "", later)
        .await
        .unwrap());
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.get_departure(departure.id)
            .await
            .unwrap()
            .unwrap()
            .departure,
        departure
    );
    drop(r);

    let mut changed = package.clone();
    changed.active = false;
    changed.package.name = "黄山宏村二日游（停售）".into();
    let mut tx = store.write().await.unwrap();
    assert!(tx.update_package(&changed).await.unwrap());
    assert!(tx
        .cancel_departure(departure.id, package.created_at)
        .await
        .unwrap());
    assert!(!tx
        .cancel_departure(departure.id, package.created_at)
        .await
        .unwrap());
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let active = r.list_packages(true, 100, 0).await.unwrap();
    assert!(active.iter().all(|p| p.package.id != package.package.id));
    let all = r.list_packages(false, 100, 0).await.unwrap();
    assert!(all.contains(&changed));
    drop(r);

    let (property, room_type, rooms) = sample_property(store, 3).await;
    let mut r = store.read().await.unwrap();
    assert_eq!(
        r.get_property(property.id).await.unwrap(),
        Some(property.clone())
    );
    assert_eq!(
        r.get_room_type(room_type.id).await.unwrap(),
        Some(room_type.clone())
    );
    assert_eq!(
        r.list_room_types(property.id).await.unwrap(),
        vec![room_type]
    );
    assert_eq!(r.list_rooms(Some(property.id), 10, 0).await.unwrap(), rooms);
    assert_eq!(
        r.list_rooms(Some(property.id), 2, 2).await.unwrap(),
        rooms[2..]
    );
    assert_eq!(
        r.get_room(rooms[1].id).await.unwrap(),
        Some(rooms[1].clone())
    );
    drop(r);
    let mut twin = rooms[0].clone();
    twin.id = Uuid::now_v7();
    let mut tx = store.write().await.unwrap();
    assert!(matches!(
        tx.insert_room(&twin).await,
        Err(StoreError::Duplicate { .. })
    ));
}

/// Departures list by package and window, earliest first, with seats-left filtering and pages.
pub async fn departures_filter_and_page(store: &dyn Store) {
    let package = sample_package("西递宏村一日游");
    let now = package.created_at;
    let days: Vec<Date> = (1..=6).map(|d| date(2026, 6, d)).collect();
    let departures: Vec<Departure> = days
        .iter()
        .map(|d| sample_departure(package.package.id, *d, 2))
        .collect();
    let mut tx = store.write().await.unwrap();
    tx.insert_package(&package).await.unwrap();
    for d in &departures {
        tx.insert_departure(d, now).await.unwrap();
    }
    assert!(
        tx.take_seats(departures[1].id, 2).await.unwrap(),
        "2 of 2 seats"
    );
    tx.commit().await.unwrap();

    let mut r = store.read().await.unwrap();
    let filter = DepartureFilter {
        package_id: Some(package.package.id),
        from: Some(date(2026, 6, 2)),
        until: Some(date(2026, 6, 6)),
        limit: 10,
        ..Default::default()
    };
    let got: Vec<Date> = r
        .list_departures(&filter)
        .await
        .unwrap()
        .iter()
        .map(|d| d.departure.date)
        .collect();
    assert_eq!(got, days[1..5]);
    let open = DepartureFilter {
        min_seats_left: Some(1),
        ..filter.clone()
    };
    let got: Vec<Date> = r
        .list_departures(&open)
        .await
        .unwrap()
        .iter()
        .map(|d| d.departure.date)
        .collect();
    assert_eq!(got, days[2..5], "the sold-out 2 June is left out");
    let second_page = DepartureFilter {
        limit: 2,
        offset: 2,
        ..filter
    };
    let got = r.list_departures(&second_page).await.unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].departure.date, days[3]);
}

/// Blocks take free nights; nights a booking or another source holds are conflicts; a new
/// set from one source replaces its old one.
pub async fn blocks_take_free_nights_only(store: &dyn Store) {
    let (property, _, rooms) = sample_property(store, 1).await;
    let room = rooms[0].id;
    let booking = crate::conformance::sample_booking_for_room(
        store,
        room,
        date(2026, 7, 2),
        date(2026, 7, 4),
    )
    .await;
    let airbnb = NightUse::Blocked {
        source: "airbnb".into(),
    };
    let nights: Vec<Date> = (1..=4).map(|d| date(2026, 7, d)).collect();
    let mut tx = store.write().await.unwrap();
    let conflicts = tx.replace_blocks(room, &airbnb, &nights).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(conflicts, vec![date(2026, 7, 2), date(2026, 7, 3)]);

    let mut r = store.read().await.unwrap();
    let grid = r
        .room_nights(property.id, date(2026, 7, 1), date(2026, 7, 10))
        .await
        .unwrap();
    let uses: Vec<(Date, &str)> = grid.iter().map(|n| (n.night, n.used_by.kind())).collect();
    assert_eq!(
        uses,
        vec![
            (date(2026, 7, 1), "blocked"),
            (date(2026, 7, 2), "booking"),
            (date(2026, 7, 3), "booking"),
            (date(2026, 7, 4), "blocked"),
        ]
    );
    assert_eq!(grid[1].used_by, NightUse::Booking(booking));
    assert_eq!(
        grid[1].booking_state,
        Some(tripdesk_domain::bookings::BookingState::Held)
    );
    drop(r);

    let mut tx = store.write().await.unwrap();
    let conflicts = tx
        .replace_blocks(room, &airbnb, &[date(2026, 7, 8)])
        .await
        .unwrap();
    assert!(conflicts.is_empty());
    let closed = NightUse::Closed {
        source: "维修".into(),
    };
    let conflicts = tx
        .replace_blocks(room, &closed, &[date(2026, 7, 8), date(2026, 7, 9)])
        .await
        .unwrap();
    assert_eq!(conflicts, vec![date(2026, 7, 8)]);
    tx.commit().await.unwrap();
    let mut r = store.read().await.unwrap();
    let counts = r
        .taken_per_type_night(property.id, date(2026, 7, 1), date(2026, 7, 10))
        .await
        .unwrap();
    let mut nights: Vec<Date> = counts.iter().map(|c| c.night).collect();
    nights.sort();
    assert_eq!(
        nights,
        vec![
            date(2026, 7, 2),
            date(2026, 7, 3),
            date(2026, 7, 8),
            date(2026, 7, 9)
        ],
        "the old airbnb nights of 1 and 4 July were freed"
    );
    assert!(counts.iter().all(|c| c.taken == 1));
}
