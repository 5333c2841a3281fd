// Booking repository, shared by both backends: `include!`d where `Db` and `SqlTx` are bound.
//
// Inventory is taken by statements the database arbitrates (see tripdesk_store::bookings):
// room-nights by an `INSERT … ON CONFLICT DO NOTHING` on their primary key, seats by a
// conditional UPDATE under a CHECK. On PostgreSQL a second transaction inserting the same
// key waits for the first and then inserts nothing if it committed; the conditional UPDATE
// re-reads the row after waiting for its lock. Neither aborts the transaction, so the caller
// gets a plain `false` and rolls back.

use super::shared_rows::Insert;
use super::{Db, SqlTx};
use crate::convert::{day, err, from_json, id, ms, opt_id, opt_ms, opt_ts, parse_day, to_json, ts};
use jiff::Timestamp;
use sqlx::{QueryBuilder, Row};
use tripdesk_domain::bookings::{BookingState, HoldKind, Stay};
use tripdesk_domain::catalog::{Party, TravelerCategory};
use tripdesk_store::{
    Booking, BookingFilter, BookingLine, BookingRepo, ChangeQuoteRecord, DayList, PENDING_DAYS_AHEAD, LineItem, Payment, PaymentMethod, RefundRecord,
    StoreError, Traveler, WaitlistEntryRecord,
};
use uuid::Uuid;

type DbRow = <Db as sqlx::Database>::Row;

const BOOKING_COLUMNS: &str = "id, customer_id, state, hold_kind, hold_expires_at, confirmation_no, \
    starts_on, ends_on, total_fen, paid_fen, policy, ticket_id, created_by, created_at, updated_at, \
    confirmed_at, closed_at, arrived_at, registered_at, welcome_pack_at, version";

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.into())
}

fn get<T>(row: &DbRow, name: &str) -> Result<T, StoreError>
where
    T: for<'r> sqlx::Decode<'r, Db> + sqlx::Type<Db>,
{
    row.try_get(name).map_err(err)
}

fn small(v: i64, what: &str) -> Result<u32, StoreError> {
    u32::try_from(v).map_err(|_| corrupt(what))
}

fn booking_head(row: &DbRow) -> Result<Booking, StoreError> {
    let hold_kind: Option<String> = get(row, "hold_kind")?;
    let policy: Option<String> = get(row, "policy")?;
    Ok(Booking {
        id: id(&get::<String>(row, "id")?)?,
        customer_id: id(&get::<String>(row, "customer_id")?)?,
        state: BookingState::parse(&get::<String>(row, "state")?).ok_or_else(|| corrupt("booking state"))?,
        hold_kind: hold_kind
            .map(|k| HoldKind::parse(&k).ok_or_else(|| corrupt("hold kind")))
            .transpose()?,
        hold_expires_at: opt_ts(get(row, "hold_expires_at")?)?,
        confirmation_no: get(row, "confirmation_no")?,
        starts_on: parse_day(&get::<String>(row, "starts_on")?)?,
        ends_on: parse_day(&get::<String>(row, "ends_on")?)?,
        total_fen: get(row, "total_fen")?,
        paid_fen: get(row, "paid_fen")?,
        policy: policy.map(|p| from_json(&p, "booking policy")).transpose()?,
        ticket_id: opt_id(get(row, "ticket_id")?)?,
        created_by: opt_id(get(row, "created_by")?)?,
        created_at: ts(get(row, "created_at")?)?,
        updated_at: ts(get(row, "updated_at")?)?,
        confirmed_at: opt_ts(get(row, "confirmed_at")?)?,
        closed_at: opt_ts(get(row, "closed_at")?)?,
        arrived_at: opt_ts(get(row, "arrived_at")?)?,
        registered_at: opt_ts(get(row, "registered_at")?)?,
        welcome_pack_at: opt_ts(get(row, "welcome_pack_at")?)?,
        version: get(row, "version")?,
        lines: Vec::new(),
        travelers: Vec::new(),
    })
}

fn line_from_row(row: &DbRow) -> Result<(Uuid, BookingLine), StoreError> {
    let booking_id = id(&get::<String>(row, "booking_id")?)?;
    let room_id: Option<String> = get(row, "room_id")?;
    let departure_id: Option<String> = get(row, "departure_id")?;
    let item = match (room_id, departure_id) {
        (Some(room), None) => {
            let check_in = parse_day(&get::<Option<String>>(row, "check_in")?.ok_or_else(|| corrupt("check_in"))?)?;
            let check_out = parse_day(&get::<Option<String>>(row, "check_out")?.ok_or_else(|| corrupt("check_out"))?)?;
            LineItem::Room {
                room_id: id(&room)?,
                stay: Stay::new(check_in, check_out).map_err(|_| corrupt("booking line stay"))?,
            }
        }
        (None, Some(departure)) => {
            let n = |name: &str| -> Result<u32, StoreError> {
                small(get::<Option<i64>>(row, name)?.ok_or_else(|| corrupt(name))?, name)
            };
            LineItem::Seats {
                departure_id: id(&departure)?,
                party: Party { adults: n("adults")?, children: n("children")?, seniors: n("seniors")? },
            }
        }
        _ => return Err(corrupt("booking line item")),
    };
    Ok((
        booking_id,
        BookingLine { line_no: small(get(row, "line_no")?, "line_no")?, item, price_fen: get(row, "price_fen")? },
    ))
}

fn category(text: &str) -> Result<TravelerCategory, StoreError> {
    match text {
        "adult" => Ok(TravelerCategory::Adult),
        "child" => Ok(TravelerCategory::Child),
        "senior" => Ok(TravelerCategory::Senior),
        _ => Err(corrupt("traveler category")),
    }
}

fn category_str(c: TravelerCategory) -> &'static str {
    match c {
        TravelerCategory::Adult => "adult",
        TravelerCategory::Child => "child",
        TravelerCategory::Senior => "senior",
    }
}

fn payment_from_row(row: &DbRow) -> Result<Payment, StoreError> {
    Ok(Payment {
        id: id(&get::<String>(row, "id")?)?,
        booking_id: id(&get::<String>(row, "booking_id")?)?,
        method: PaymentMethod::parse(&get::<String>(row, "method")?).ok_or_else(|| corrupt("payment method"))?,
        amount_fen: get(row, "amount_fen")?,
        reference: get(row, "reference")?,
        recorded_by: opt_id(get(row, "recorded_by")?)?,
        recorded_at: ts(get(row, "recorded_at")?)?,
    })
}

fn refund_from_row(row: &DbRow) -> Result<RefundRecord, StoreError> {
    Ok(RefundRecord {
        id: id(&get::<String>(row, "id")?)?,
        booking_id: id(&get::<String>(row, "booking_id")?)?,
        cause: from_json(&get::<String>(row, "cause")?, "refund cause")?,
        refund: from_json(&get::<String>(row, "computation")?, "refund computation")?,
        due_at: ts(get(row, "due_at")?)?,
        created_at: ts(get(row, "created_at")?)?,
        paid_at: opt_ts(get(row, "paid_at")?)?,
        payment_id: opt_id(get(row, "payment_id")?)?,
    })
}

const QUOTE_COLUMNS: &str = "id, booking_id, body, created_by, created_at, expires_at, accepted_at, accepted_by";

fn quote_from_row(row: &DbRow) -> Result<ChangeQuoteRecord, StoreError> {
    Ok(ChangeQuoteRecord {
        id: id(&get::<String>(row, "id")?)?,
        booking_id: id(&get::<String>(row, "booking_id")?)?,
        quote: from_json(&get::<String>(row, "body")?, "change quote")?,
        created_by: opt_id(get(row, "created_by")?)?,
        created_at: ts(get(row, "created_at")?)?,
        expires_at: ts(get(row, "expires_at")?)?,
        accepted_at: opt_ts(get(row, "accepted_at")?)?,
        accepted_by: opt_id(get(row, "accepted_by")?)?,
    })
}

fn waitlist_from_row(row: &DbRow) -> Result<WaitlistEntryRecord, StoreError> {
    Ok(WaitlistEntryRecord {
        id: id(&get::<String>(row, "id")?)?,
        departure_id: id(&get::<String>(row, "departure_id")?)?,
        customer_id: id(&get::<String>(row, "customer_id")?)?,
        party: Party {
            adults: small(get(row, "adults")?, "adults")?,
            children: small(get(row, "children")?, "children")?,
            seniors: small(get(row, "seniors")?, "seniors")?,
        },
        joined_at: ts(get(row, "joined_at")?)?,
        offered_at: opt_ts(get(row, "offered_at")?)?,
    })
}

impl SqlTx {
    /// Fills in the lines and travelers of `bookings` (one query each for all of them).
    async fn attach_lines(&mut self, bookings: &mut [Booking]) -> Result<(), StoreError> {
        if bookings.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = bookings.iter().map(|b| b.id.to_string()).collect();
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "SELECT booking_id, line_no, room_id, check_in, check_out, departure_id, adults, children, \
             seniors, price_fen FROM booking_lines WHERE booking_id IN (",
        );
        let mut sep = qb.separated(", ");
        for b in &ids {
            sep.push_bind(b.clone());
        }
        qb.push(") ORDER BY booking_id, line_no");
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        for row in &rows {
            let (booking_id, line) = line_from_row(row)?;
            if let Some(b) = bookings.iter_mut().find(|b| b.id == booking_id) {
                b.lines.push(line);
            }
        }
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "SELECT booking_id, position, customer_id, category FROM booking_travelers WHERE booking_id IN (",
        );
        let mut sep = qb.separated(", ");
        for b in &ids {
            sep.push_bind(b.clone());
        }
        qb.push(") ORDER BY booking_id, position");
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        for row in &rows {
            let booking_id = id(&get::<String>(row, "booking_id")?)?;
            let traveler = Traveler {
                customer_id: id(&get::<String>(row, "customer_id")?)?,
                category: category(&get::<String>(row, "category")?)?,
            };
            if let Some(b) = bookings.iter_mut().find(|b| b.id == booking_id) {
                b.travelers.push(traveler);
            }
        }
        Ok(())
    }

    async fn insert_lines(&mut self, booking_id: Uuid, lines: &[BookingLine]) -> Result<(), StoreError> {
        for line in lines {
            let row = Insert::new(
                "booking_lines",
                "booking_id, line_no, room_id, check_in, check_out, departure_id, adults, children, seniors, price_fen",
            )
            .val(booking_id.to_string())
            .val(i64::from(line.line_no));
            let row = match &line.item {
                LineItem::Room { room_id, stay } => row
                    .val(room_id.to_string())
                    .val(day(stay.check_in()))
                    .val(day(stay.check_out()))
                    .val(None::<String>)
                    .val(None::<i64>)
                    .val(None::<i64>)
                    .val(None::<i64>),
                LineItem::Seats { departure_id, party } => row
                    .val(None::<String>)
                    .val(None::<String>)
                    .val(None::<String>)
                    .val(departure_id.to_string())
                    .val(i64::from(party.adults))
                    .val(i64::from(party.children))
                    .val(i64::from(party.seniors)),
            };
            self.insert_row(row.val(line.price_fen)).await?;
        }
        Ok(())
    }

    async fn one_booking(&mut self, column: &str, value: String) -> Result<Option<Booking>, StoreError> {
        let row = sqlx::query(&format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE {column} = $1"))
            .bind(value)
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        let Some(row) = row else { return Ok(None) };
        let mut found = [booking_head(&row)?];
        self.attach_lines(&mut found).await?;
        let [b] = found;
        Ok(Some(b))
    }
}

#[async_trait::async_trait]
impl BookingRepo for SqlTx {
    async fn insert_booking(&mut self, b: &Booking) -> Result<(), StoreError> {
        let row = Insert::new("bookings", BOOKING_COLUMNS)
            .val(b.id.to_string())
            .val(b.customer_id.to_string())
            .val(b.state.as_str())
            .val(b.hold_kind.map(|k| k.as_str()))
            .val(opt_ms(b.hold_expires_at))
            .val(&b.confirmation_no)
            .val(day(b.starts_on))
            .val(day(b.ends_on))
            .val(b.total_fen)
            .val(b.paid_fen)
            .val(b.policy.as_ref().map(to_json))
            .val(b.ticket_id.map(|t| t.to_string()))
            .val(b.created_by.map(|u| u.to_string()))
            .val(ms(b.created_at))
            .val(ms(b.updated_at))
            .val(opt_ms(b.confirmed_at))
            .val(opt_ms(b.closed_at))
            .val(opt_ms(b.arrived_at))
            .val(opt_ms(b.registered_at))
            .val(opt_ms(b.welcome_pack_at))
            .val(b.version);
        self.insert_row(row).await?;
        self.insert_lines(b.id, &b.lines).await?;
        for (position, t) in b.travelers.iter().enumerate() {
            let row = Insert::new("booking_travelers", "booking_id, position, customer_id, category")
                .val(b.id.to_string())
                .val(i64::try_from(position).unwrap_or(i64::MAX))
                .val(t.customer_id.to_string())
                .val(category_str(t.category));
            self.insert_row(row).await?;
        }
        Ok(())
    }

    async fn get_booking(&mut self, booking_id: Uuid) -> Result<Option<Booking>, StoreError> {
        self.one_booking("id", booking_id.to_string()).await
    }

    async fn get_booking_by_confirmation(&mut self, no: &str) -> Result<Option<Booking>, StoreError> {
        self.one_booking("confirmation_no", no.to_string()).await
    }

    async fn list_bookings(&mut self, f: &BookingFilter) -> Result<Vec<Booking>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE 1=1"));
        if let Some(c) = f.customer_id {
            qb.push(" AND customer_id = ").push_bind(c.to_string());
        }
        if let Some(t) = f.ticket_id {
            qb.push(" AND ticket_id = ").push_bind(t.to_string());
        }
        if let Some(s) = f.state {
            qb.push(" AND state = ").push_bind(s.as_str());
        }
        if let Some(d) = f.starts_from {
            qb.push(" AND starts_on >= ").push_bind(day(d));
        }
        if let Some(d) = f.starts_until {
            qb.push(" AND starts_on < ").push_bind(day(d));
        }
        qb.push(" ORDER BY created_at DESC, id DESC LIMIT ")
            .push_bind(i64::from(f.limit.clamp(1, 1000)))
            .push(" OFFSET ")
            .push_bind(i64::try_from(f.offset).unwrap_or(i64::MAX));
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        let mut out = rows.iter().map(booking_head).collect::<Result<Vec<_>, _>>()?;
        self.attach_lines(&mut out).await?;
        Ok(out)
    }

    async fn list_arrivals(
        &mut self,
        property_id: Uuid,
        on: jiff::civil::Date,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Booking>, StoreError> {
        // The lines checking in that day are found through booking_lines_check_in_idx; a
        // booking with two rooms arriving is one row, placed by its first room.
        let rows = sqlx::query(&format!(
            "SELECT {BOOKING_COLUMNS} FROM bookings JOIN ( \
                SELECT l.booking_id, MIN(r.position) AS first_position, MIN(r.label) AS first_label \
                FROM booking_lines l JOIN rooms r ON r.id = l.room_id \
                WHERE l.check_in = $1 AND l.room_id IS NOT NULL AND r.property_id = $2 \
                GROUP BY l.booking_id) arriving ON arriving.booking_id = bookings.id \
             WHERE bookings.state IN ('held', 'confirmed', 'changed', 'completed') \
             ORDER BY arriving.first_position, arriving.first_label, bookings.id LIMIT $3 OFFSET $4"
        ))
        .bind(day(on))
        .bind(property_id.to_string())
        .bind(i64::from(limit.clamp(1, 1000)))
        .bind(i64::try_from(offset).unwrap_or(i64::MAX))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        let mut out = rows.iter().map(booking_head).collect::<Result<Vec<_>, _>>()?;
        self.attach_lines(&mut out).await?;
        Ok(out)
    }

    async fn list_day_bookings(
        &mut self,
        list: DayList,
        on: jiff::civil::Date,
        limit: u32,
        offset: u64,
    ) -> Result<Vec<Booking>, StoreError> {
        let mut qb: QueryBuilder<'_, Db> =
            QueryBuilder::new(format!("SELECT {BOOKING_COLUMNS} FROM bookings WHERE "));
        push_day_list(&mut qb, list, on);
        qb.push(" ORDER BY bookings.starts_on, bookings.id LIMIT ")
            .push_bind(i64::from(limit.clamp(1, 1000)))
            .push(" OFFSET ")
            .push_bind(i64::try_from(offset).unwrap_or(i64::MAX));
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        let mut out = rows.iter().map(booking_head).collect::<Result<Vec<_>, _>>()?;
        self.attach_lines(&mut out).await?;
        Ok(out)
    }

    async fn count_day_bookings(&mut self, list: DayList, on: jiff::civil::Date) -> Result<u64, StoreError> {
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new("SELECT COUNT(*) FROM bookings WHERE ");
        push_day_list(&mut qb, list, on);
        let n: i64 = qb
            .build_query_scalar()
            .fetch_one(self.db().await?)
            .await
            .map_err(err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn update_booking(&mut self, b: &Booking, expected_version: i64) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE bookings SET state = $3, hold_kind = $4, hold_expires_at = $5, confirmation_no = $6, \
             starts_on = $7, ends_on = $8, total_fen = $9, paid_fen = $10, policy = $11, ticket_id = $12, \
             updated_at = $13, confirmed_at = $14, closed_at = $15, arrived_at = $16, registered_at = $17, \
             welcome_pack_at = $18, version = version + 1 WHERE id = $1 AND version = $2",
        )
        .bind(b.id.to_string())
        .bind(expected_version)
        .bind(b.state.as_str())
        .bind(b.hold_kind.map(|k| k.as_str()))
        .bind(opt_ms(b.hold_expires_at))
        .bind(&b.confirmation_no)
        .bind(day(b.starts_on))
        .bind(day(b.ends_on))
        .bind(b.total_fen)
        .bind(b.paid_fen)
        .bind(b.policy.as_ref().map(to_json))
        .bind(b.ticket_id.map(|t| t.to_string()))
        .bind(ms(b.updated_at))
        .bind(opt_ms(b.confirmed_at))
        .bind(opt_ms(b.closed_at))
        .bind(opt_ms(b.arrived_at))
        .bind(opt_ms(b.registered_at))
        .bind(opt_ms(b.welcome_pack_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn take_room_nights(&mut self, booking_id: Uuid, room_id: Uuid, stay: Stay) -> Result<bool, StoreError> {
        let mut qb: QueryBuilder<'_, Db> =
            QueryBuilder::new("INSERT INTO room_nights (room_id, night, kind, booking_id, source) ");
        let (room, booking) = (room_id.to_string(), booking_id.to_string());
        qb.push_values(stay.night_dates(), |mut row, night| {
            row.push_bind(room.clone())
                .push_bind(day(night))
                .push_bind("booking")
                .push_bind(booking.clone())
                .push_bind(None::<String>);
        });
        qb.push(" ON CONFLICT (room_id, night) DO NOTHING");
        let done = qb.build().execute(self.db().await?).await.map_err(err)?;
        Ok(done.rows_affected() == u64::from(stay.nights()))
    }

    async fn take_seats(&mut self, departure_id: Uuid, seats: u32) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE departures SET taken = taken + $2 WHERE id = $1 AND cancelled = 0 AND taken + $2 <= seats",
        )
        .bind(departure_id.to_string())
        .bind(i64::from(seats))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn release_inventory(&mut self, booking_id: Uuid) -> Result<Vec<(Uuid, u32)>, StoreError> {
        sqlx::query("DELETE FROM room_nights WHERE booking_id = $1")
            .bind(booking_id.to_string())
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        let rows = sqlx::query(
            "SELECT departure_id, adults + children + seniors AS seats FROM booking_lines \
             WHERE booking_id = $1 AND departure_id IS NOT NULL ORDER BY line_no",
        )
        .bind(booking_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        let mut freed = Vec::new();
        for row in &rows {
            let departure = id(&get::<String>(row, "departure_id")?)?;
            let seats = small(get(row, "seats")?, "seats")?;
            sqlx::query("UPDATE departures SET taken = taken - $2 WHERE id = $1")
                .bind(departure.to_string())
                .bind(i64::from(seats))
                .execute(self.db().await?)
                .await
                .map_err(err)?;
            freed.push((departure, seats));
        }
        Ok(freed)
    }

    async fn replace_lines(&mut self, booking_id: Uuid, lines: &[BookingLine]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM booking_lines WHERE booking_id = $1")
            .bind(booking_id.to_string())
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        self.insert_lines(booking_id, lines).await
    }

    async fn insert_change_quote(&mut self, q: &ChangeQuoteRecord) -> Result<(), StoreError> {
        let row = Insert::new(
            "booking_change_quotes",
            "id, booking_id, body, created_by, created_at, expires_at, accepted_at, accepted_by",
        )
        .val(q.id.to_string())
        .val(q.booking_id.to_string())
        .val(to_json(&q.quote))
        .val(q.created_by.map(|u| u.to_string()))
        .val(ms(q.created_at))
        .val(ms(q.expires_at))
        .val(opt_ms(q.accepted_at))
        .val(q.accepted_by.map(|u| u.to_string()));
        self.insert_row(row).await
    }

    async fn get_change_quote(&mut self, quote_id: Uuid) -> Result<Option<ChangeQuoteRecord>, StoreError> {
        let row = sqlx::query(&format!("SELECT {QUOTE_COLUMNS} FROM booking_change_quotes WHERE id = $1"))
            .bind(quote_id.to_string())
            .fetch_optional(self.db().await?)
            .await
            .map_err(err)?;
        row.as_ref().map(quote_from_row).transpose()
    }

    async fn list_change_quotes(&mut self, booking_id: Uuid, limit: u32) -> Result<Vec<ChangeQuoteRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {QUOTE_COLUMNS} FROM booking_change_quotes WHERE booking_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT $2"
        ))
        .bind(booking_id.to_string())
        .bind(i64::from(limit.clamp(1, 1000)))
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(quote_from_row).collect()
    }

    async fn accept_change_quote(&mut self, quote_id: Uuid, by: Option<Uuid>, at: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE booking_change_quotes SET accepted_at = $2, accepted_by = $3 WHERE id = $1 AND accepted_at IS NULL",
        )
        .bind(quote_id.to_string())
        .bind(ms(at))
        .bind(by.map(|u| u.to_string()))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_payment(&mut self, p: &Payment) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO booking_payments (id, booking_id, method, amount_fen, reference, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(p.id.to_string())
        .bind(p.booking_id.to_string())
        .bind(p.method.as_str())
        .bind(p.amount_fen)
        .bind(&p.reference)
        .bind(p.recorded_by.map(|u| u.to_string()))
        .bind(ms(p.recorded_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn list_payments(&mut self, booking_id: Uuid) -> Result<Vec<Payment>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, booking_id, method, amount_fen, reference, recorded_by, recorded_at \
             FROM booking_payments WHERE booking_id = $1 ORDER BY recorded_at, id",
        )
        .bind(booking_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(payment_from_row).collect()
    }

    async fn insert_refund(&mut self, r: &RefundRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO booking_refunds (id, booking_id, cause, computation, refund_fen, due_at, created_at, \
             paid_at, payment_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(r.id.to_string())
        .bind(r.booking_id.to_string())
        .bind(to_json(&r.cause))
        .bind(to_json(&r.refund))
        .bind(r.refund.refund_fen)
        .bind(ms(r.due_at))
        .bind(ms(r.created_at))
        .bind(opt_ms(r.paid_at))
        .bind(r.payment_id.map(|p| p.to_string()))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn list_refunds(&mut self, booking_id: Uuid) -> Result<Vec<RefundRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, booking_id, cause, computation, due_at, created_at, paid_at, payment_id \
             FROM booking_refunds WHERE booking_id = $1 ORDER BY created_at, id",
        )
        .bind(booking_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(refund_from_row).collect()
    }

    async fn mark_refund_paid(&mut self, refund_id: Uuid, payment_id: Uuid, at: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE booking_refunds SET paid_at = $3, payment_id = $2 WHERE id = $1 AND paid_at IS NULL",
        )
        .bind(refund_id.to_string())
        .bind(payment_id.to_string())
        .bind(ms(at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn join_waitlist(&mut self, e: &WaitlistEntryRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO departure_waitlist (id, departure_id, customer_id, adults, children, seniors, joined_at, \
             offered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(e.id.to_string())
        .bind(e.departure_id.to_string())
        .bind(e.customer_id.to_string())
        .bind(i64::from(e.party.adults))
        .bind(i64::from(e.party.children))
        .bind(i64::from(e.party.seniors))
        .bind(ms(e.joined_at))
        .bind(opt_ms(e.offered_at))
        .execute(self.db().await?)
        .await
        .map_err(err)?;
        Ok(())
    }

    async fn list_waitlist(&mut self, departure_id: Uuid) -> Result<Vec<WaitlistEntryRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, departure_id, customer_id, adults, children, seniors, joined_at, offered_at \
             FROM departure_waitlist WHERE departure_id = $1 ORDER BY joined_at, id",
        )
        .bind(departure_id.to_string())
        .fetch_all(self.db().await?)
        .await
        .map_err(err)?;
        rows.iter().map(waitlist_from_row).collect()
    }

    async fn mark_waitlist_offered(&mut self, entry_id: Uuid, at: Timestamp) -> Result<bool, StoreError> {
        let done = sqlx::query("UPDATE departure_waitlist SET offered_at = $2 WHERE id = $1 AND offered_at IS NULL")
            .bind(entry_id.to_string())
            .bind(ms(at))
            .execute(self.db().await?)
            .await
            .map_err(err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn waitlist_counts(&mut self, departure_ids: &[Uuid]) -> Result<Vec<(Uuid, u32)>, StoreError> {
        if departure_ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb: QueryBuilder<'_, Db> = QueryBuilder::new(
            "SELECT departure_id, COUNT(*) AS waiting FROM departure_waitlist \
             WHERE offered_at IS NULL AND departure_id IN (",
        );
        let mut sep = qb.separated(", ");
        for d in departure_ids {
            sep.push_bind(d.to_string());
        }
        qb.push(") GROUP BY departure_id");
        let rows = qb.build().fetch_all(self.db().await?).await.map_err(err)?;
        rows.iter()
            .map(|row| {
                Ok((
                    id(&get::<String>(row, "departure_id")?)?,
                    small(get(row, "waiting")?, "waiting")?,
                ))
            })
            .collect()
    }
}

/// The condition of a day list over `bookings` (dates are `YYYY-MM-DD` text on both
/// backends, so they compare as dates).
fn push_day_list(qb: &mut QueryBuilder<'_, Db>, list: DayList, on: jiff::civil::Date) {
    const HOLDING: &str = "bookings.state IN ('held', 'confirmed', 'changed', 'completed')";
    match list {
        DayList::Arriving => {
            qb.push(HOLDING)
                .push(" AND (bookings.starts_on = ")
                .push_bind(day(on))
                .push(" OR EXISTS (SELECT 1 FROM booking_lines l WHERE l.booking_id = bookings.id AND l.check_in = ")
                .push_bind(day(on))
                .push(") OR EXISTS (SELECT 1 FROM booking_lines l JOIN departures d ON d.id = l.departure_id \
                       WHERE l.booking_id = bookings.id AND d.departs_on = ")
                .push_bind(day(on))
                .push("))");
        }
        DayList::Departing => {
            qb.push(HOLDING)
                .push(" AND (bookings.ends_on = ")
                .push_bind(day(on))
                .push(" OR EXISTS (SELECT 1 FROM booking_lines l WHERE l.booking_id = bookings.id AND l.check_out = ")
                .push_bind(day(on))
                .push("))");
        }
        DayList::Pending => {
            let ahead = on.saturating_add(jiff::Span::new().days(PENDING_DAYS_AHEAD));
            qb.push(
                "(bookings.state = 'held' OR (bookings.state IN ('confirmed', 'changed') \
                 AND bookings.paid_fen < bookings.total_fen)) AND bookings.ends_on >= ",
            )
            .push_bind(day(on))
            .push(" AND bookings.starts_on <= ")
            .push_bind(day(ahead));
        }
    }
}
