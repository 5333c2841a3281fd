// Catalog repository, shared by both backends: `include!`d where `Db` and `SqlTx` are bound.

use super::{Db, SqlTx, NIGHTS_JOINED};
use crate::convert::{day, err, from_json, id, ms, opt_id, parse_day, to_json, ts};
use std::collections::HashMap;

use jiff::civil::Date;
use jiff::Timestamp;
use sqlx::{QueryBuilder, Row};
use tripdesk_domain::bookings::BookingState;
use tripdesk_domain::catalog::{Departure, RoomType, TourPackage};
use tripdesk_store::{
    CatalogRepo, DepartureFilter, DepartureRecord, FeedScope, IcalFeed, NightUse, PackageRecord,
    Property, Room, RoomNight, StoreError, TypeNightCount,
};
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

fn text(row: &DbRow, name: &str) -> Result<String, StoreError> {
    row.try_get(name).map_err(err)
}

fn int(row: &DbRow, name: &str) -> Result<i64, StoreError> {
    row.try_get(name).map_err(err)
}

fn count(row: &DbRow, name: &str) -> Result<u32, StoreError> {
    u32::try_from(int(row, name)?).map_err(|_| StoreError::Corrupt(format!("{name} out of range")))
}

const PACKAGE_COLUMNS: &str = "id, name, destination, scope, body, active, created_at, updated_at";

fn package_from_row(row: &DbRow) -> Result<PackageRecord, StoreError> {
    let package: TourPackage = from_json(&text(row, "body")?, "tour package")?;
    Ok(PackageRecord {
        package,
        active: int(row, "active")? != 0,
        created_at: ts(int(row, "created_at")?)?,
        updated_at: ts(int(row, "updated_at")?)?,
    })
}

const DEPARTURE_COLUMNS: &str = "id, package_id, departs_on, seats, taken, min_group, go_no_go, prices, \
    meeting_time, meeting_point, cancelled, updated_at, guide_name, guide_phone";

fn departure_from_row(row: &DbRow) -> Result<DepartureRecord, StoreError> {
    Ok(DepartureRecord {
        departure: Departure {
            id: id(&text(row, "id")?)?,
            package_id: id(&text(row, "package_id")?)?,
            date: parse_day(&text(row, "departs_on")?)?,
            seats: count(row, "seats")?,
            min_group: count(row, "min_group")?,
            go_no_go: parse_day(&text(row, "go_no_go")?)?,
            prices: from_json(&text(row, "prices")?, "departure prices")?,
            meeting_time: text(row, "meeting_time")?,
            meeting_point: text(row, "meeting_point")?,
            guide_name: text(row, "guide_name")?,
            guide_phone: text(row, "guide_phone")?,
        },
        taken: count(row, "taken")?,
        cancelled: int(row, "cancelled")? != 0,
        updated_at: ts(int(row, "updated_at")?)?,
    })
}

const PROPERTY_COLUMNS: &str =
    "id, name, address, phone, check_in_time, check_out_time, created_at";

fn property_from_row(row: &DbRow) -> Result<Property, StoreError> {
    Ok(Property {
        id: id(&text(row, "id")?)?,
        name: text(row, "name")?,
        address: text(row, "address")?,
        phone: text(row, "phone")?,
        check_in_time: text(row, "check_in_time")?,
        check_out_time: text(row, "check_out_time")?,
        created_at: ts(int(row, "created_at")?)?,
    })
}

const ROOM_COLUMNS: &str = "id, property_id, room_type_id, label, position, active";

fn room_from_row(row: &DbRow) -> Result<Room, StoreError> {
    Ok(Room {
        id: id(&text(row, "id")?)?,
        property_id: id(&text(row, "property_id")?)?,
        room_type_id: id(&text(row, "room_type_id")?)?,
        label: text(row, "label")?,
        position: int(row, "position")?,
        active: int(row, "active")? != 0,
    })
}

fn night_use(kind: &str, booking_id: Option<String>, source: Option<String>) -> Result<NightUse, StoreError> {
    match (kind, booking_id) {
        ("booking", Some(b)) => Ok(NightUse::Booking(id(&b)?)),
        ("blocked", None) => Ok(NightUse::Blocked { source: source.unwrap_or_default() }),
        ("closed", None) => Ok(NightUse::Closed { source: source.unwrap_or_default() }),
        _ => Err(StoreError::Corrupt("room night kind".into())),
    }
}

fn page(limit: u32) -> i64 {
    i64::from(limit.clamp(1, 1000))
}

fn offset(offset: u64) -> i64 {
    i64::try_from(offset).unwrap_or(i64::MAX)
}

#[async_trait::async_trait]
impl CatalogRepo for SqlTx {
    async fn insert_package(&mut self, p: &PackageRecord) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO tour_packages ({PACKAGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(p.package.id.to_string())
        .bind(&p.package.name)
        .bind(&p.package.destination)
        .bind(p.package.scope.as_str())
        .bind(to_json(&p.package))
        .bind(i64::from(p.active))
        .bind(ms(p.created_at))
        .bind(ms(p.updated_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn update_package(&mut self, p: &PackageRecord) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE tour_packages SET name = $2, destination = $3, scope = $4, body = $5, \
             active = $6, updated_at = $7 WHERE id = $1",
        )
        .bind(p.package.id.to_string())
        .bind(&p.package.name)
        .bind(&p.package.destination)
        .bind(p.package.scope.as_str())
        .bind(to_json(&p.package))
        .bind(i64::from(p.active))
        .bind(ms(p.updated_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn get_package(&mut self, package_id: Uuid) -> Result<Option<PackageRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {PACKAGE_COLUMNS} FROM tour_packages WHERE id = $1"))
            .bind(package_id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(package_from_row).transpose()
    }

    async fn list_packages(&mut self, active_only: bool, limit: u32, off: u64) -> Result<Vec<PackageRecord>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> =
            QueryBuilder::new(format!("SELECT {PACKAGE_COLUMNS} FROM tour_packages WHERE 1=1"));
        if active_only {
            qb.push(" AND active = 1");
        }
        qb.push(" ORDER BY name, id LIMIT ").push_bind(page(limit)).push(" OFFSET ").push_bind(offset(off));
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter().map(package_from_row).collect()
    }

    async fn insert_departure(&mut self, d: &Departure, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO departures ({DEPARTURE_COLUMNS}) VALUES ($1, $2, $3, $4, 0, $5, $6, $7, $8, $9, 0, $10, $11, $12)"
        ))
        .bind(d.id.to_string())
        .bind(d.package_id.to_string())
        .bind(day(d.date))
        .bind(i64::from(d.seats))
        .bind(i64::from(d.min_group))
        .bind(day(d.go_no_go))
        .bind(to_json(&d.prices))
        .bind(&d.meeting_time)
        .bind(&d.meeting_point)
        .bind(ms(now))
        .bind(&d.guide_name)
        .bind(&d.guide_phone)
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn get_departure(&mut self, departure_id: Uuid) -> Result<Option<DepartureRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {DEPARTURE_COLUMNS} FROM departures WHERE id = $1"))
            .bind(departure_id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(departure_from_row).transpose()
    }

    async fn list_departures(&mut self, f: &DepartureFilter) -> Result<Vec<DepartureRecord>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> =
            QueryBuilder::new(format!("SELECT {DEPARTURE_COLUMNS} FROM departures WHERE 1=1"));
        if let Some(p) = f.package_id {
            qb.push(" AND package_id = ").push_bind(p.to_string());
        }
        if let Some(from) = f.from {
            qb.push(" AND departs_on >= ").push_bind(day(from));
        }
        if let Some(until) = f.until {
            qb.push(" AND departs_on < ").push_bind(day(until));
        }
        if let Some(n) = f.min_seats_left {
            qb.push(" AND cancelled = 0 AND seats - taken >= ").push_bind(i64::from(n));
        }
        qb.push(" ORDER BY departs_on, id LIMIT ").push_bind(page(f.limit)).push(" OFFSET ").push_bind(offset(f.offset));
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter().map(departure_from_row).collect()
    }

    async fn set_departure_guide(
        &mut self,
        departure_id: Uuid,
        name: &str,
        phone: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE departures SET guide_name = $2, guide_phone = $3, updated_at = $4 WHERE id = $1")
            .bind(departure_id.to_string())
            .bind(name)
            .bind(phone)
            .bind(ms(now))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn cancel_departure(&mut self, departure_id: Uuid, now: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE departures SET cancelled = 1, updated_at = $2 WHERE id = $1 AND cancelled = 0")
            .bind(departure_id.to_string())
            .bind(ms(now))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_property(&mut self, p: &Property) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO properties ({PROPERTY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(p.id.to_string())
        .bind(&p.name)
        .bind(&p.address)
        .bind(&p.phone)
        .bind(&p.check_in_time)
        .bind(&p.check_out_time)
        .bind(ms(p.created_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn get_property(&mut self, property_id: Uuid) -> Result<Option<Property>, StoreError> {
        let row = sqlx::query(&format!("SELECT {PROPERTY_COLUMNS} FROM properties WHERE id = $1"))
            .bind(property_id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(property_from_row).transpose()
    }

    async fn list_properties(&mut self, limit: u32, off: u64) -> Result<Vec<Property>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {PROPERTY_COLUMNS} FROM properties ORDER BY name, id LIMIT $1 OFFSET $2"
        ))
        .bind(page(limit))
        .bind(offset(off))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(property_from_row).collect()
    }

    async fn insert_room_type(&mut self, rt: &RoomType, now: Timestamp) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO room_types (id, property_id, name, body, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(rt.id.to_string())
            .bind(rt.property_id.to_string())
            .bind(&rt.name)
            .bind(to_json(rt))
            .bind(ms(now))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn get_room_type(&mut self, room_type_id: Uuid) -> Result<Option<RoomType>, StoreError> {
        let row = sqlx::query("SELECT body FROM room_types WHERE id = $1")
            .bind(room_type_id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.map(|r| from_json(&text(&r, "body")?, "room type")).transpose()
    }

    async fn list_room_types(&mut self, property_id: Uuid) -> Result<Vec<RoomType>, StoreError> {
        let rows = sqlx::query("SELECT body FROM room_types WHERE property_id = $1 ORDER BY name, id")
            .bind(property_id.to_string())
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        rows.iter().map(|r| from_json(&text(r, "body")?, "room type")).collect()
    }

    async fn insert_room(&mut self, r: &Room) -> Result<(), StoreError> {
        sqlx::query(&format!("INSERT INTO rooms ({ROOM_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"))
            .bind(r.id.to_string())
            .bind(r.property_id.to_string())
            .bind(r.room_type_id.to_string())
            .bind(&r.label)
            .bind(r.position)
            .bind(i64::from(r.active))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn get_room(&mut self, room_id: Uuid) -> Result<Option<Room>, StoreError> {
        let row = sqlx::query(&format!("SELECT {ROOM_COLUMNS} FROM rooms WHERE id = $1"))
            .bind(room_id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(room_from_row).transpose()
    }

    async fn list_rooms(&mut self, property_id: Option<Uuid>, limit: u32, off: u64) -> Result<Vec<Room>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!("SELECT {ROOM_COLUMNS} FROM rooms WHERE 1=1"));
        if let Some(p) = property_id {
            qb.push(" AND property_id = ").push_bind(p.to_string());
        }
        qb.push(" ORDER BY property_id, position, label LIMIT ").push_bind(page(limit)).push(" OFFSET ").push_bind(offset(off));
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter().map(room_from_row).collect()
    }

    async fn room_nights(&mut self, property_id: Uuid, from: Date, until: Date) -> Result<Vec<RoomNight>, StoreError> {
        let rows = sqlx::query(
            "SELECT n.room_id, n.night, n.kind, n.booking_id, n.source, b.state, b.arrived_at \
             FROM rooms r JOIN room_nights n ON n.room_id = r.id \
             LEFT JOIN bookings b ON b.id = n.booking_id \
             WHERE r.property_id = $1 AND n.night >= $2 AND n.night < $3 \
             ORDER BY r.position, r.label, n.night",
        )
        .bind(property_id.to_string())
        .bind(day(from))
        .bind(day(until))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter()
            .map(|row| {
                let state: Option<String> = row.try_get("state").map_err(err)?;
                let arrived: Option<i64> = row.try_get("arrived_at").map_err(err)?;
                Ok(RoomNight {
                    room_id: id(&text(row, "room_id")?)?,
                    night: parse_day(&text(row, "night")?)?,
                    used_by: night_use(
                        &text(row, "kind")?,
                        row.try_get("booking_id").map_err(err)?,
                        row.try_get("source").map_err(err)?,
                    )?,
                    booking_state: state
                        .map(|s| BookingState::parse(&s).ok_or_else(|| StoreError::Corrupt("booking state".into())))
                        .transpose()?,
                    arrived: arrived.is_some(),
                })
            })
            .collect()
    }

    async fn taken_per_type_night(&mut self, property_id: Uuid, from: Date, until: Date) -> Result<Vec<TypeNightCount>, StoreError> {
        // One row per room in service, its taken nights joined into one string: a year of a
        // 200-room property is 200 rows to decode instead of thousands, and no sort (the
        // per-type grouping of a join needed one). Counted here, per room type and night.
        let sql = format!(
            "SELECT r.room_type_id, \
             (SELECT {NIGHTS_JOINED} FROM room_nights n \
              WHERE n.room_id = r.id AND n.night >= $2 AND n.night < $3) AS nights \
             FROM rooms r WHERE r.property_id = $1 AND r.active = 1"
        );
        let rows = sqlx::query(&sql)
            .bind(property_id.to_string())
            .bind(day(from))
            .bind(day(until))
            .fetch_all(self.db().await?)
            .await
            .map_err(err)?;
        let mut counts: HashMap<(Uuid, Date), u32> = HashMap::new();
        for row in &rows {
            let nights: Option<String> = row.try_get("nights").map_err(err)?;
            let Some(nights) = nights else {
                continue;
            };
            let room_type_id = id(&text(row, "room_type_id")?)?;
            for night in nights.split(',') {
                *counts.entry((room_type_id, parse_day(night)?)).or_default() += 1;
            }
        }
        Ok(counts
            .into_iter()
            .map(|((room_type_id, night), taken)| TypeNightCount { room_type_id, night, taken })
            .collect())
    }

    async fn replace_blocks(&mut self, room_id: Uuid, used_by: &NightUse, nights: &[Date]) -> Result<Vec<Date>, StoreError> {
        let (kind, source) = match used_by {
            NightUse::Blocked { source } | NightUse::Closed { source } => (used_by.kind(), source.as_str()),
            NightUse::Booking(_) => return Err(StoreError::Other("bookings take nights with take_room_nights".into())),
        };
        sqlx::query("DELETE FROM room_nights WHERE room_id = $1 AND kind = $2 AND source = $3")
            .bind(room_id.to_string())
            .bind(kind)
            .bind(source)
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        let mut conflicts = Vec::new();
        for night in nights {
            let done = sqlx::query(
                "INSERT INTO room_nights (room_id, night, kind, booking_id, source) \
                 VALUES ($1, $2, $3, NULL, $4) ON CONFLICT (room_id, night) DO NOTHING",
            )
            .bind(room_id.to_string())
            .bind(day(*night))
            .bind(kind)
            .bind(source)
            .execute(self.db().await?)
            .await
            .map_err(err)?;
            if done.rows_affected() == 0 {
                conflicts.push(*night);
            }
        }
        Ok(conflicts)
    }

    async fn insert_ical_feed(&mut self, f: &IcalFeed) -> Result<(), StoreError> {
        let (room, room_type) = match f.scope {
            FeedScope::Room(r) => (Some(r.to_string()), None),
            FeedScope::RoomType(t) => (None, Some(t.to_string())),
        };
        sqlx::query(
            "INSERT INTO ical_feeds (id, room_id, room_type_id, token_hash, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(f.id.to_string())
        .bind(room)
        .bind(room_type)
        .bind(&f.token_hash)
        .bind(f.created_by.map(|u| u.to_string()))
        .bind(ms(f.created_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn get_ical_feed_by_token_hash(&mut self, token_hash: &str) -> Result<Option<IcalFeed>, StoreError> {
        let row = sqlx::query(
            "SELECT id, room_id, room_type_id, token_hash, created_by, created_at FROM ical_feeds WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.db().await?)
        .await
        .map_err(err)?;
        let Some(row) = row else { return Ok(None) };
        let room: Option<String> = row.try_get("room_id").map_err(err)?;
        let room_type: Option<String> = row.try_get("room_type_id").map_err(err)?;
        let scope = match (room, room_type) {
            (Some(r), None) => FeedScope::Room(id(&r)?),
            (None, Some(t)) => FeedScope::RoomType(id(&t)?),
            _ => return Err(StoreError::Corrupt("ical feed scope".into())),
        };
        Ok(Some(IcalFeed {
            id: id(&text(&row, "id")?)?,
            scope,
            token_hash: text(&row, "token_hash")?,
            created_by: opt_id(row.try_get("created_by").map_err(err)?)?,
            created_at: ts(int(&row, "created_at")?)?,
        }))
    }
}
